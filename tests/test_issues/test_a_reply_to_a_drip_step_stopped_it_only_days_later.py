"""A customer who answered the day-0 step of a drip (or sent STOP) was shown ``active`` in
the sequence's report and enrolment until their next step came due, three days later:
the reply was only looked at then. A marketer watching the report saw nobody reply.

What must hold: the reply (or the opt-out) ends the enrolment when it arrives, and the
report counts it at once; a customer who does not answer stays active."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.conftest import BotFactory
from tests.test_api import WA_ID, say, shared_number
from tests.test_notifications import NO_QUIET, until
from tests.test_sequences import OTHER, drip, enrolment, sent_to, sequence_report


@pytest.mark.parametrize(("said", "reason"), [("Thanks!", "reply"), ("STOP", "opt_out")])
async def test_a_reply_to_a_step_stops_the_drip_when_it_arrives(
    make_bot: BotFactory, said: str, reason: str
) -> None:
    shared = await shared_number(
        make_bot, notifications=NO_QUIET, sequences=drip({"first_contact": True})
    )
    await say(shared.bot, "hi there", OTHER)
    await until(lambda: sent_to(shared, OTHER, text="Welcome aboard"), what="day 0, other")
    await until(lambda: sent_to(shared, WA_ID, text="Welcome aboard"), what="day 0")
    await say(shared.bot, said, timestamp=int(time.time()) + 2)

    async def stopped() -> dict[str, Any] | None:
        found = await enrolment(shared, f"wa:{WA_ID}")
        return found if found["status"] == "stopped" else None

    found = await until(stopped, what="the enrolment stopped by the reply")
    assert found["reason"] == reason
    report = await sequence_report(shared)
    assert report["enrolments"]["stopped"][reason] == 1 and report["enrolments"]["active"] == 1
    assert (await enrolment(shared, f"wa:{OTHER}"))["status"] == "active"
