"""The parent enrolled a phone nobody had written from yet (``POST
/v1/sequences/welcome/enrolments`` with ``{"phone": "+447911400001"}``). When that
customer then wrote for the first time, the first-contact trigger enrolled them again,
as the profile their message made: the report counted two enrolments for one person, and
they would get each step twice, although "a profile is enrolled once per sequence,
whatever names it".

What must hold: the customer's first message finds the enrolment of their phone; the
report counts one; their phone (and their WhatsApp id) still finds it."""

from __future__ import annotations

from tests.conftest import BotFactory
from tests.test_api import say, shared_number
from tests.test_notifications import NO_QUIET, until
from tests.test_sequences import drip, enrolment, sequence_report

PHONE = "447911400001"


async def test_a_phone_enrolled_by_hand_is_not_enrolled_again_when_it_writes(
    make_bot: BotFactory,
) -> None:
    shared = await shared_number(
        make_bot, notifications=NO_QUIET, sequences=drip({"first_contact": True})
    )
    before = (await sequence_report(shared))["enrolments"]["enrolled"]
    path = "/v1/sequences/welcome/enrolments"
    answer = await shared.call("support", "POST", path, {"phone": f"+{PHONE}"})
    assert answer.status == 202 and answer.json["enrolled"] is True, answer.raw
    await say(shared.bot, "hello", PHONE)
    await shared.bot.settle()

    async def counted() -> bool:
        return (await sequence_report(shared))["enrolments"]["enrolled"] >= before + 1

    await until(counted, what="the enrolment counted")
    assert (await sequence_report(shared))["enrolments"]["enrolled"] == before + 1
    for ref in (f"+{PHONE}", f"wa:{PHONE}"):
        assert (await enrolment(shared, ref))["member"] == f"p:phone:+{PHONE}", ref
