"""With ``SMS_FROM`` a Messaging Service, a WhatsApp sender in the same service's sender
pool shares its incoming-message webhook, so Twilio posts its messages and statuses
(``From=whatsapp:+...``, ``MessagingServiceSid`` ours) to ``/webhooks/sms``. They were
answered 400 ("From must be an E.164 phone number"), each an error in the account's
debugger: the form was ours by its service, and read as an SMS. Another channel's form
is left be now, with 200, as one for another number is, and the log says so."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest

from bot.model import Identity
from tests.conftest import BotFactory
from tests.emulators.twilio_api import sign, status_form
from tests.test_sms_channel import ACCOUNT, CUSTOMER, OURS, SMSBot, sms_bot_with

SERVICE = "MG" + "a" * 32


@pytest.fixture
async def service_bot(make_bot: BotFactory) -> AsyncIterator[SMSBot]:
    async with sms_bot_with(make_bot, sender=SERVICE) as bot:
        yield bot


async def test_a_whatsapp_message_of_the_service_is_left_be_and_said(
    service_bot: SMSBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    form, signed = service_bot.twilio.signed_inbound(
        service_bot.url,
        f"whatsapp:{CUSTOMER}",
        f"whatsapp:{OURS}",
        "hi on whatsapp",
        messaging_service_sid=SERVICE,
    )
    answer = await service_bot.bot.client.post(
        "/webhooks/sms", data=form, headers={"X-Twilio-Signature": signed}
    )
    assert answer.status == 200, await answer.text()
    said = [r.getMessage() for r in caplog.records if f"whatsapp:{OURS}" in r.getMessage()]
    assert len(said) == 1 and "SMS and MMS" in said[0], said
    await service_bot.bot.settle()
    for kind in ("phone", "wa"):  # no profile was made for the customer
        identity = Identity(kind, CUSTOMER if kind == "phone" else CUSTOMER.lstrip("+"))
        assert await service_bot.bot.runtime.profiles.lookup(identity) == ""


async def test_a_whatsapp_status_of_the_service_is_left_be(service_bot: SMSBot) -> None:
    form = status_form(
        ACCOUNT,
        "SM" + "c" * 32,
        "delivered",
        to=f"whatsapp:{CUSTOMER}",
        from_=f"whatsapp:{OURS}",
        messaging_service_sid=SERVICE,
    )
    headers = {"X-Twilio-Signature": sign(service_bot.twilio.auth_token, service_bot.url, form)}
    answer = await service_bot.bot.client.post("/webhooks/sms", data=form, headers=headers)
    assert answer.status == 200, await answer.text()


async def test_an_sms_of_the_service_is_still_taken(service_bot: SMSBot) -> None:
    form, signed = service_bot.twilio.signed_inbound(
        service_bot.url, CUSTOMER, OURS, "hi", messaging_service_sid=SERVICE
    )
    answer = await service_bot.bot.client.post(
        "/webhooks/sms", data=form, headers={"X-Twilio-Signature": signed}
    )
    assert answer.status == 200, await answer.text()
    (sent,) = await service_bot.twilio.wait_for_sent(1)
    assert sent.to == CUSTOMER and sent.messaging_service_sid == SERVICE
