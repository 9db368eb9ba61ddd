"""Enrolled by a phone nobody had yet, a customer enrolled again once they had a profile
(an import, a first message, the same workflow event later) was enrolled a second time,
as the profile, and got every step twice: README says a profile is enrolled once per
sequence, whatever names it. The second enrolment finds the first now."""

from __future__ import annotations

from bot.model import Identity
from tests.conftest import BotFactory
from tests.test_api import shared_number
from tests.test_notifications import NO_QUIET
from tests.test_sequences import drip

PHONE = "+447400100050"


async def test_a_profile_made_after_an_enrolment_by_phone_is_not_enrolled_again(
    make_bot: BotFactory,
) -> None:
    shared = await shared_number(
        make_bot, notifications=NO_QUIET, sequences=drip({"workflow": "signup"})
    )
    path = "/v1/sequences/welcome/enrolments"
    first = await shared.call("support", "POST", path, {"phone": PHONE})
    assert first.status == 202 and first.json["enrolled"] is True
    assert first.json["enrolment"]["member"] == f"p:phone:{PHONE}"
    runtime = shared.bot.runtime
    profile = await runtime.profiles.resolve([Identity("phone", PHONE)], channel="whatsapp")
    for named in ({"phone": PHONE}, {"profile": profile}):
        again = await shared.call("support", "POST", path, named)
        assert again.json["enrolled"] is False, (named, again.raw)
    report = await shared.call("support", "GET", "/v1/sequences/welcome")
    assert report.json["sequence"]["enrolments"]["enrolled"] == 1
