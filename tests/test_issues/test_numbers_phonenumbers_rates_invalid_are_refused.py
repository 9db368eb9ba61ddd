"""Numbers that phonenumbers itself rates invalid were accepted as identities: an SMS from
``+44``, fragments (``+44 7400`` stored as ``phone:+447400``, ``07400`` as ``+4407400``)
and all-zero placeholders behind a country code (``+1 000-000-0000``, ``+44 0000
000000``). They joined strangers into one profile. Now only a valid number, or a
possible one of the country's numbering shape (a range allocated after our metadata, or
Ofcom's drama range), is a phone, on every path: webhook, import, flow and API."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from bot.identities import InvalidPhoneError, normalize_phone, parse_identity
from tests.conftest import BotFactory
from tests.emulators.twilio_api import sign
from tests.test_api import shared_number
from tests.test_sms_channel import ACCOUNT, OURS, SMSBot, sms_bot  # noqa: F401

NOT_PHONES = [
    "+44 7400",
    "07400",
    "+4407400",
    "+1 000-000-0000",
    "+44 0000 000000",
    "+10000000000",
    "+1 055 123 4567",
    "+49 0000 0000000",
]
PHONES = {
    "+44 7700 900123": "+447700900123",  # Ofcom's drama range: possible, not allocated
    "07911 123456": "+447911123456",
    "+1 202 555 0100": "+12025550100",
    "+52 1 55 1234 5678": "+525512345678",  # WhatsApp's Mexican id form
    "+39 06 1234 5678": "+390612345678",  # Italy keeps its leading zero
}


@pytest.mark.parametrize("raw", NOT_PHONES)
def test_fragments_and_placeholders_are_no_phone(raw: str) -> None:
    with pytest.raises(InvalidPhoneError):
        normalize_phone(raw, "GB")
    with pytest.raises(ValueError):
        parse_identity(f"phone:{raw}", "GB")


@pytest.mark.parametrize(("raw", "e164"), PHONES.items())
def test_real_and_possible_numbers_are_still_phones(raw: str, e164: str) -> None:
    assert normalize_phone(raw, "GB").value == e164


@pytest.mark.parametrize("sender", ["+44", "+447400", "+10000000000", "+44000000000"])
async def test_an_sms_from_no_phone_is_refused(sms_bot: SMSBot, sender: str) -> None:  # noqa: F811
    form = {"AccountSid": ACCOUNT, "MessageSid": "SM" + "a" * 32, "From": sender, "To": OURS}
    form["Body"] = "hello"
    headers = {"X-Twilio-Signature": sign(sms_bot.twilio.auth_token, sms_bot.url, form)}
    response = await sms_bot.bot.client.post("/webhooks/sms", data=form, headers=headers)
    assert response.status == 400
    assert "phone" in (await response.json())["error"]
    assert await sms_bot.bot.runtime.inbound_log.backlog() == 0


async def test_the_api_refuses_them_as_identities(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    for raw in ("phone:+447400", "phone:+10000000000", "+44 0000 000000"):
        answer = await shared.call("support", "GET", f"/v1/profiles?identity={quote(raw)}")
        assert answer.status == 400, (raw, answer.raw)
