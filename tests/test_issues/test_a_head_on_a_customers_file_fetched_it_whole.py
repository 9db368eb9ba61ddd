"""``HEAD /v1/media/{ref}`` on a customer's file fetched the whole file from its provider
(read whole when the provider declares no length, passed on piece by piece when it does),
only to throw it away: a service checking a file's type paid for its download, and waited
as long as the provider took to send it."""

from __future__ import annotations

import asyncio

from tests.test_api import wait_for_event
from tests.test_media_inbound import PNG
from tests.test_sms_channel import CUSTOMER, OURS, SMSBot, sms_bot  # noqa: F401 (a fixture)


async def test_a_head_answers_from_the_providers_headers(
    sms_bot: SMSBot,  # noqa: F811 (the fixture imported above)
) -> None:
    bot, twilio = sms_bot.bot, sms_bot.twilio
    twilio.chunked_media = True
    twilio.media_pause = 3600.0  # the first piece, and then nothing for an hour
    sid = "MM" + "ef" * 16
    url = twilio.add_media(sid, PNG * 2000, "image/png")
    form, signature = twilio.signed_inbound(
        sms_bot.url, CUSTOMER, OURS, "look", media=[(url, "image/png")], sid=sid
    )
    headers = {"X-Twilio-Signature": signature}
    assert (await bot.client.post("/webhooks/sms", data=form, headers=headers)).status == 200
    event = await wait_for_event(bot.sinks["support"], "message.inbound")
    ref = event["data"]["message"]["media"]["ref"]
    token = await bot.runtime.directory.define_token("support")
    async with asyncio.timeout(10):  # far less than the provider takes to send the file
        async with bot.client.head(
            f"/v1/media/{ref}", headers={"Authorization": f"Bearer {token}"}
        ) as response:
            assert response.status == 200
            assert response.headers["Content-Type"] == "image/png"
            assert await response.read() == b""
    assert len(twilio.media_fetches) == 1
