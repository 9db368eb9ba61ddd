"""``POST /v1/sequences/{name}/enrolments`` and ``POST /v1/events`` took any identity in
``phone``: ``{"phone": "tg:123"}`` or ``{"phone": "email:ann@example.com"}`` answered 202,
and the enrolment stayed active while every step of the WhatsApp drip skipped it as
``no_channel``. ``phone`` takes a phone number (or a WhatsApp id) now, and anything else
is a 400 that keeps nothing; ``profile`` still takes any identity."""

from __future__ import annotations

import pytest

from tests.conftest import BotFactory
from tests.test_api import shared_number
from tests.test_notifications import NO_QUIET
from tests.test_sequences import drip

ENROLMENTS = "/v1/sequences/welcome/enrolments"


@pytest.mark.parametrize("named", ["tg:123456", "email:ann@example.com", "ext:crm-1"])
async def test_a_phone_that_is_another_identity_is_refused(
    make_bot: BotFactory, named: str
) -> None:
    shared = await shared_number(
        make_bot, notifications=NO_QUIET, sequences=drip({"workflow": "signup"})
    )
    answer = await shared.call("support", "POST", ENROLMENTS, {"phone": named})
    assert answer.status == 400 and answer.error.startswith("'phone': "), answer.raw
    report = await shared.call("support", "GET", "/v1/sequences/welcome")
    assert report.json["sequence"]["enrolments"]["enrolled"] == 0
    event = {"type": "signup", "number": shared.number, "phone": named}
    answer = await shared.call("support", "POST", "/v1/events", event)
    assert answer.status == 400 and answer.error.startswith("'phone': "), answer.raw

    by_profile = await shared.call("support", "POST", ENROLMENTS, {"profile": named})
    assert by_profile.status in (202, 404), by_profile.raw
    whatsapp = await shared.call("support", "POST", ENROLMENTS, {"phone": "wa:447911200006"})
    assert whatsapp.status == 202, whatsapp.raw
