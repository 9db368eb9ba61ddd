"""The warning for an SMS webhook refused for its signature quoted the URL with the
request's query string: a token an operator put in the webhook's URL (``?key=...``, a
second check before Twilio's signature) went to the log of every refused request, and so
did whatever a stranger put there. The line names the URL without its query now, and says
there was one."""

from __future__ import annotations

import logging
import secrets

import pytest

from tests.test_sms_channel import CUSTOMER, OURS, SMSBot, sms_bot

__all__ = ["sms_bot"]


async def test_a_refused_webhook_s_query_stays_out_of_the_log(
    sms_bot: SMSBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    token = secrets.token_hex(16)
    form, _ = sms_bot.twilio.signed_inbound(sms_bot.url, CUSTOMER, OURS, "hi")
    headers = {"X-Twilio-Signature": "bm90IGl0"}
    answer = await sms_bot.bot.client.post(f"/webhooks/sms?key={token}", data=form, headers=headers)
    assert answer.status == 401
    (line,) = [r.getMessage() for r in caplog.records if "X-Twilio-Signature" in r.getMessage()]
    assert token not in caplog.text
    assert "/webhooks/sms?" not in line and "with a query" in line, line
