"""A WhatsApp message through Twilio (``From=whatsapp:+...``, ``To=whatsapp:+<our
number>``), or the status of a WhatsApp send, posted to ``/webhooks/sms`` (a Twilio number
whose WhatsApp sender points at the same URL) was answered 400, "From must be an E.164
phone number", and the log said nothing of it: the form was read before the bot looked at
whom it was for. Another sender's form is now left be as any other is, with 200 and the
log's line naming the sender it came for."""

from __future__ import annotations

import logging

import pytest

from tests.emulators.twilio_api import sign, status_form
from tests.test_sms_channel import ACCOUNT, CUSTOMER, OURS, SMSBot, sms_bot

__all__ = ["sms_bot"]


async def test_a_whatsapp_message_for_the_number_is_left_be_and_said(
    sms_bot: SMSBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    twilio = sms_bot.twilio
    form, signed = twilio.signed_inbound(
        sms_bot.url, f"whatsapp:{CUSTOMER}", f"whatsapp:{OURS}", "hello on WhatsApp"
    )
    answer = await sms_bot.bot.client.post(
        "/webhooks/sms", data=form, headers={"X-Twilio-Signature": signed}
    )
    assert answer.status == 200, await answer.text()
    lines = [r.getMessage() for r in caplog.records if "not SMS_FROM" in r.getMessage()]
    assert len(lines) == 1 and f"whatsapp:{OURS}" in lines[0]
    assert await sms_bot.bot.runtime.conversations.meta(sms_bot.conversation) == {}


async def test_a_whatsapp_send_s_status_is_left_be(sms_bot: SMSBot) -> None:
    form = status_form(
        ACCOUNT, "SM" + "c" * 32, "delivered", to=f"whatsapp:{CUSTOMER}", from_=f"whatsapp:{OURS}"
    )
    headers = {"X-Twilio-Signature": sign(sms_bot.twilio.auth_token, sms_bot.url, form)}
    answer = await sms_bot.bot.client.post("/webhooks/sms", data=form, headers=headers)
    assert answer.status == 200, await answer.text()


async def test_an_sms_of_ours_from_whatsapp_is_still_refused(sms_bot: SMSBot) -> None:
    """A form for our number that the bot cannot read is still a 400."""
    form, signed = sms_bot.twilio.signed_inbound(sms_bot.url, f"whatsapp:{CUSTOMER}", OURS, "hello")
    answer = await sms_bot.bot.client.post(
        "/webhooks/sms", data=form, headers={"X-Twilio-Signature": signed}
    )
    assert answer.status == 400
