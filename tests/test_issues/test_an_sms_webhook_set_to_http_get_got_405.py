"""Twilio lets a number's "A message comes in" webhook be HTTP GET or HTTP POST; with GET
it puts the parameters in the query and signs the whole URL, query and all. The bot took
only POST: every text came to a 405 (Twilio's error 11200 in its debugger), and the
customer got no answer."""

from __future__ import annotations

from urllib.parse import urlencode

import aiohttp
from yarl import URL

from tests.emulators.twilio_api import inbound_form, sign
from tests.test_sms_channel import ACCOUNT, CUSTOMER, OURS, SMSBot, sms_bot

__all__ = ["sms_bot"]


async def get(sms_bot: SMSBot, path: str, headers: dict[str, str]) -> tuple[int, str]:
    """GET ``path`` exactly as written: Twilio signs the URL it requests, byte for byte."""
    base = sms_bot.url.removesuffix("/webhooks/sms")
    async with aiohttp.ClientSession() as session:
        async with session.get(URL(base + path, encoded=True), headers=headers) as response:
            return response.status, await response.text()


def signed_get(sms_bot: SMSBot, body: str) -> tuple[str, str]:
    """The path and query Twilio requests for ``body``, and its signature."""
    query = urlencode(inbound_form(ACCOUNT, CUSTOMER, OURS, body))
    return f"/webhooks/sms?{query}", sign(sms_bot.twilio.auth_token, f"{sms_bot.url}?{query}", {})


async def test_a_text_by_http_get_is_answered(sms_bot: SMSBot) -> None:
    path, signature = signed_get(sms_bot, "hi, by GET")
    status, text = await get(sms_bot, path, {"X-Twilio-Signature": signature})
    assert status == 200 and "<Response" in text
    (sent,) = await sms_bot.twilio.wait_for_sent(1)
    assert sent.to == CUSTOMER and sent.body == "Welcome! How can we help?"
    assert (await sms_bot.last_inbound())["text"] == "hi, by GET"


async def test_a_get_signed_as_a_post_or_not_at_all_is_refused(sms_bot: SMSBot) -> None:
    form = inbound_form(ACCOUNT, CUSTOMER, OURS, "forged")
    query = urlencode(form)
    as_post = sign(sms_bot.twilio.auth_token, sms_bot.url, form)
    for headers in ({"X-Twilio-Signature": as_post}, {}):
        assert (await get(sms_bot, f"/webhooks/sms?{query}", headers))[0] == 401
    # A query changed after signing (another Body) is refused too.
    path, signature = signed_get(sms_bot, "the real text")
    tampered = path.replace("the+real+text", "something+else")
    assert (await get(sms_bot, tampered, {"X-Twilio-Signature": signature}))[0] == 401
    await sms_bot.bot.settle()
    assert await sms_bot.bot.runtime.conversations.timeline(sms_bot.conversation) == []


async def test_a_signed_get_that_is_no_message_gets_400(sms_bot: SMSBot) -> None:
    query = urlencode({"Body": "no sender, no sid"})
    signature = sign(sms_bot.twilio.auth_token, f"{sms_bot.url}?{query}", {})
    headers = {"X-Twilio-Signature": signature}
    assert (await get(sms_bot, f"/webhooks/sms?{query}", headers))[0] == 400
