"""An MMS reply whose caption was 900 emoji (within the API's 1,024 characters) was taken
(201), then refused by Twilio (21617): an MMS's caption is its ``Body``, which Twilio keeps
to 1,600 characters, an emoji counted as two. The customer got nothing. A caption past
what an SMS body takes is refused up front now (400), and nothing is sent; the same
caption to a conversation started on SMS is refused as well."""

from __future__ import annotations

from tests.test_api import call
from tests.test_issues.test_an_sms_reply_past_1600_characters_was_taken import _reply
from tests.test_sms_channel import OURS, SMSBot, sms_bot

__all__ = ["sms_bot"]

PICTURE = "https://files.example.com/receipt.jpg"


async def test_the_api_refuses_a_caption_twilio_would_refuse(sms_bot: SMSBot) -> None:
    await sms_bot.text("hello")
    await sms_bot.twilio.wait_for_sent(1)
    caption = "\U0001f600" * 900  # 900 characters, 1,800 as Twilio counts them
    status, raw = await _reply(
        sms_bot, {"media": {"type": "image", "url": PICTURE, "caption": caption}}
    )
    assert status == 400 and "at most 1600 characters" in raw and "1800" in raw, raw
    status, raw = await _reply(
        sms_bot, {"media": {"type": "image", "url": PICTURE, "caption": "\U0001f600" * 800}}
    )
    assert status == 201, raw
    sent = await sms_bot.twilio.wait_for_sent(2)
    assert sent[-1].media_urls == (PICTURE,) and sent[-1].body == "\U0001f600" * 800
    assert len(sms_bot.twilio.sent) == 2
    refused = [r for r in sms_bot.twilio.requests if r.status != 201]
    assert refused == []


async def test_a_conversation_started_with_such_a_caption_is_refused(sms_bot: SMSBot) -> None:
    token = await sms_bot.bot.runtime.directory.define_token("support")
    body = {
        "identity": "phone:+447700900456",
        "number": f"sms:{OURS}",
        "media": {"type": "image", "url": PICTURE, "caption": "\U0001f600" * 900},
    }
    answer = await call(sms_bot.bot, token, "POST", "/v1/conversations", body)
    assert answer.status == 400 and "at most 1600 characters" in answer.raw.decode()
    assert sms_bot.twilio.requests == []
