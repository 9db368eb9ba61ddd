"""A reply of more than 1,600 characters to an SMS customer (or less, past it once its
choices are numbered) was taken (201, "Sent to ..."), then refused by Twilio (21617) and
failed: it is refused up front now, and nothing is sent."""

from __future__ import annotations

import pytest

from bot.team.desk import RefusedError
from tests.test_api import call
from tests.test_sms_channel import SMSBot, sms_bot

__all__ = ["sms_bot"]


async def _reply(sms_bot: SMSBot, body: dict[str, object]) -> tuple[int, str]:
    runtime = sms_bot.bot.runtime
    token = await runtime.directory.define_token("support")
    path = f"/v1/conversations/{sms_bot.conversation}/messages"
    answer = await call(sms_bot.bot, token, "POST", path, body)
    return answer.status, answer.raw.decode()


async def test_the_api_refuses_an_sms_past_1600_characters(sms_bot: SMSBot) -> None:
    await sms_bot.text("hello")
    await sms_bot.twilio.wait_for_sent(1)
    status, raw = await _reply(sms_bot, {"text": "z" * 1601})
    assert status == 400 and "at most 1600 characters" in raw and "1601" in raw
    buttons = {"buttons": ["Yes", "No"]}  # "\n1. Yes\n2. No": 13 more
    status, raw = await _reply(sms_bot, {"text": "z" * 1590, "interactive": buttons})
    assert status == 400 and "1603" in raw
    status, raw = await _reply(sms_bot, {"text": "z" * 1600})
    assert status == 201, raw
    sent = await sms_bot.twilio.wait_for_sent(2)
    assert len(sent[-1].body) == 1600 and len(sms_bot.twilio.sent) == 2


async def test_the_team_reply_refuses_an_sms_past_1600_characters(sms_bot: SMSBot) -> None:
    await sms_bot.text("hello")
    await sms_bot.twilio.wait_for_sent(1)
    desk = sms_bot.bot.runtime.desk
    with pytest.raises(RefusedError, match="at most 1600 characters"):
        await desk.reply(sms_bot.conversation, "z" * 1700, "ann@example.com")
    timeline = await sms_bot.bot.runtime.conversations.timeline(sms_bot.conversation)
    assert [m["direction"] for m in timeline] == ["inbound", "outbound"]
