"""A drip step's notification cancelled through ``DELETE /v1/notifications/{id}`` stopped
sending that step, and the sequence's report did not say so: its counts stayed at 0 for
the profiles whose step came due, with no skip and no reason, while they moved on to the
next step.

What must hold: the report of the sequence (the API and ``/sequences``) says the step is
cancelled and how many profiles it did not reach, and the next step still goes."""

from __future__ import annotations

from typing import Any

from handlers.commands import Caller
from tests.conftest import BotFactory
from tests.test_api import WA_ID, shared_number
from tests.test_notifications import NO_QUIET, until
from tests.test_sequences import DAY, drip, later, sent_to, sequence_report


async def test_a_cancelled_step_is_reported_not_silently_skipped(make_bot: BotFactory) -> None:
    shared = await shared_number(
        make_bot, notifications=NO_QUIET, sequences=drip({"first_contact": True})
    )
    await until(lambda: sent_to(shared, WA_ID, text="Welcome aboard"), what="day 0")
    follow_up = (await sequence_report(shared))["steps"][1]["notification"]
    answer = await shared.call("support", "DELETE", f"/v1/notifications/{follow_up}")
    assert answer.status == 200, answer.raw

    later(shared, 3 * DAY + 60)

    async def dropped() -> dict[str, Any] | None:
        found = await sequence_report(shared)
        return found if found["steps"][1]["not_sent"] == 1 else None

    found = await until(dropped, what="the cancelled step counted")
    step = found["steps"][1]
    assert step["status"] == "cancelled" and step["counts"]["recipients"] == 0
    assert found["not_sent"] == 1 and found["steps"][0]["status"] == "active"
    assert not sent_to(shared, WA_ID, "drip_follow_up")
    said = await shared.bot.runtime.commands.run(
        Caller("ann@example.com", "agent"), "/sequences welcome"
    )
    assert "2. follow-up (after 3d): sent 0" in said and "cancelled: 1 not sent" in said


async def test_a_step_that_went_once_stays_scheduled_and_can_be_cancelled(
    make_bot: BotFactory,
) -> None:
    """A step's notification said ``sent`` once its first batch had gone, though it goes
    again to everyone enrolled later; and a sent campaign cannot be cancelled."""
    shared = await shared_number(
        make_bot, notifications=NO_QUIET, sequences=drip({"first_contact": True})
    )
    await until(lambda: sent_to(shared, WA_ID, text="Welcome aboard"), what="day 0")
    welcome = (await sequence_report(shared))["steps"][0]["notification"]
    notifications = shared.bot.runtime.outreach.notifications

    async def ran() -> dict[str, Any] | None:
        found = await notifications.report(welcome)
        return found if found["runs"] and found["runs"][0]["status"] == "done" else None

    assert (await until(ran, what="the welcome's run done"))["status"] == "scheduled"
    answer = await shared.call("support", "DELETE", f"/v1/notifications/{welcome}")
    assert answer.status == 200, answer.raw
    assert (await sequence_report(shared))["steps"][0]["status"] == "cancelled"
