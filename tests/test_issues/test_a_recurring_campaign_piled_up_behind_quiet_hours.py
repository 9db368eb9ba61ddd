"""A recurring campaign piled up behind a customer's quiet hours, then went all at once.

As a customer saw it: a campaign on a cron schedule ran while it was night where they
live; each occurrence deferred them to the end of their quiet hours, and when those
ended they got the same message once for each occurrence, in the same second (about
eleven copies of an hourly one at 08:00). Quiet hours defer a message; they must not
multiply it.

What must hold: when a deferred recipient's quiet hours end, a later occurrence of the
schedule decides for them (the earlier ones count them ``superseded``); one message.
"""

from __future__ import annotations

import time
from typing import Any

from bot.config.notifications import NotificationSettings
from tests.conftest import BotFactory
from tests.test_notifications import (
    Person,
    adds_up,
    campaign,
    quiet_now,
    report,
    seed,
    setup,
    until,
)


async def test_quiet_hours_send_one_of_a_recurring_campaign(make_bot: BotFactory) -> None:
    shared = await setup(make_bot, notifications=NotificationSettings(quiet_hours=quiet_now(6)))
    runtime = shared.bot.runtime
    person = Person("447911300051", {"timezone": "Etc/GMT-6"}, time.time() - 60)  # night there
    (profile,) = await seed(runtime, shared.number, [person])
    body = {
        "number": shared.number,
        "text": "This week's deals",
        "audience": {"profiles": [profile]},
        "cron": "0 0 1 1 *",  # not due in this test: its runs are made here
    }
    nid = await campaign(shared, body)
    runs = runtime.outreach.notifications.runs
    first = int(time.time())
    second = first + 60
    for run in (first, second):
        result = await runs.execute(nid, run, clock=lambda run=run: float(run))
        assert result.deferred == 1, result

    found = await report(shared, nid)
    ends = max(r["deferred_until"] for r in found["runs"] if r["run"] in (first, second))
    for run in (first, second):
        await runs.execute(nid, run, clock=lambda: ends + 1)

    async def all_gone() -> dict[str, Any] | None:
        await shared.bot.settle()
        found = await report(shared, nid)
        counts = found["counts"]
        return found if counts["queued"] and not counts["in_flight"] else None

    found = await until(all_gone, 10, "the queued sends to go")
    sent = [m for m in shared.graph.sent if m.text == "This week's deals"]
    assert [m.to for m in sent] == [person.wa]

    by_run = {r["run"]: r for r in found["runs"]}
    assert by_run[first]["skipped"]["superseded"] == 1
    assert by_run[second]["counts"]["queued"] == 1
    adds_up(found)
