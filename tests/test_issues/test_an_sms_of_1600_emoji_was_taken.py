"""An SMS reply of 1,600 emoji was taken (201): Twilio counts an emoji as two of the
body's 1,600 characters (21617), so it would be refused after the API said yes. A long
automated answer cut in parts kept to code points the same way."""

from __future__ import annotations

from adapters import sms
from tests.test_issues.test_an_sms_reply_past_1600_characters_was_taken import _reply
from tests.test_sms_channel import SMSBot, sms_bot

__all__ = ["sms_bot"]


async def test_the_api_counts_an_emoji_as_two_of_an_sms_s_1600(sms_bot: SMSBot) -> None:
    await sms_bot.text("hello")
    await sms_bot.twilio.wait_for_sent(1)
    status, raw = await _reply(sms_bot, {"text": "\U0001f600" * 1600})
    assert status == 400 and "at most 1600 characters" in raw and "3200" in raw
    status, raw = await _reply(sms_bot, {"text": "\U0001f600" * 800})
    assert status == 201, raw
    sent = await sms_bot.twilio.wait_for_sent(2)
    assert sent[-1].body == "\U0001f600" * 800 and len(sms_bot.twilio.sent) == 2


def test_a_long_text_is_cut_in_parts_twilio_takes() -> None:
    text = ("\U0001f600 " * 300 + "\n") * 4  # 3,604 characters as Twilio counts them
    parts = sms.split_body(text, ["Yes", "No"])
    assert len(parts) == 3 and "".join("".join(parts).split()) == "".join(text.split())
    assert all(sms.body_length(part) <= 1600 for part in parts[:-1])
    assert sms.body_problem(parts[-1], ["Yes", "No"]) is None
