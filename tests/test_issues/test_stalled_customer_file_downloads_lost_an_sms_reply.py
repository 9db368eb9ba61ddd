"""A provider's file server that stalled (Meta's CDN, Telegram's, Twilio's) held every
connection of the one HTTP session the SMS sender used too: with 100 customers' files
being fetched, an SMS reply to another customer got no connection, failed after 20 s ("no
answer from the sms API") and was never sent. Customers' files are fetched on a session
of their own now, with a bounded number of connections."""

from __future__ import annotations

import asyncio

from tests.test_media_inbound import PNG, fetch, wait_for_event
from tests.test_sms_channel import CUSTOMER, OURS, SMSBot, sms_bot

__all__ = ["sms_bot"]
FETCHES = 110
"""More than the 100 connections the shared session had."""
HELD = 64
"""The fetches that reach Twilio's stalled server: as many as a process makes at once."""


async def test_an_sms_reply_goes_while_customers_files_stall(sms_bot: SMSBot) -> None:
    bot, twilio = sms_bot.bot, sms_bot.twilio
    sid = "MM" + "ef" * 16
    url = twilio.add_media(sid, PNG, "image/png")
    form, signature = twilio.signed_inbound(
        sms_bot.url, CUSTOMER, OURS, "my photo", media=[(url, "image/png")], sid=sid
    )
    headers = {"X-Twilio-Signature": signature}
    assert (await bot.client.post("/webhooks/sms", data=form, headers=headers)).status == 200
    event = await wait_for_event(bot.sinks["support"], "message.inbound")
    ref = event["data"]["message"]["media"]["ref"]
    sent = len(await twilio.wait_for_sent(1))  # the welcome
    token = await bot.runtime.directory.define_token("support")

    twilio.media_held = asyncio.Event()  # Twilio's file server stalls
    fetches = [asyncio.create_task(fetch(bot, token, ref)) for _ in range(FETCHES)]
    try:
        await twilio.wait_for_media_fetches(HELD, timeout=10)
        # Another reply to the customer, while the fetches hold their connections.
        assert (await sms_bot.send("your order has shipped")) == "your order has shipped"
        assert len(twilio.sent) == sent + 1
    finally:
        twilio.media_held.set()
        results = await asyncio.gather(*fetches)
    assert {status for status, _, _ in results} <= {200, 502}
