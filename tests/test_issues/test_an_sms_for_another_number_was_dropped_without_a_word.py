"""An inbound SMS whose ``To`` is not ``SMS_FROM`` was answered 200 and dropped with no
log line (a wrong ``SMS_FROM`` lost every customer's message in silence), and a webhook
refused for its signature left only the access line's 401, with no word of why (most
often a ``PUBLIC_URL`` other than the URL Twilio was given)."""

from __future__ import annotations

import logging

import pytest

from tests.test_sms_channel import CUSTOMER, SMSBot, sms_bot

__all__ = ["sms_bot"]

ELSEWHERE = "+15005550009"


async def test_a_message_for_another_number_is_said_once_in_the_log(
    sms_bot: SMSBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    for body in ("hello", "are you there?"):
        form, signed = sms_bot.twilio.signed_inbound(sms_bot.url, CUSTOMER, ELSEWHERE, body)
        headers = {"X-Twilio-Signature": signed}
        answer = await sms_bot.bot.client.post("/webhooks/sms", data=form, headers=headers)
        assert answer.status == 200
    lines = [r.getMessage() for r in caplog.records if "not SMS_FROM" in r.getMessage()]
    assert len(lines) == 1 and ELSEWHERE in lines[0]
    assert await sms_bot.bot.runtime.conversations.meta(sms_bot.conversation) == {}


async def test_a_refused_signature_says_why_in_the_log(
    sms_bot: SMSBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    assert await sms_bot.text("hi", signature="bm90IGl0") == 401
    assert await sms_bot.text("hi", signature="") == 401
    (line,) = [r.getMessage() for r in caplog.records if "X-Twilio-Signature" in r.getMessage()]
    assert "PUBLIC_URL" in line and sms_bot.url in line
    assert sms_bot.twilio.auth_token not in caplog.text
