"""Quiet hours that end in the hour a daylight-saving change repeats (22:00-01:30 in
Europe/London, whose clocks go back from 02:00 to 01:00) deferred a recipient who was in
the second pass of that hour until the first 01:30, an hour already past: the run took
them up again at once, deferred them again to the same past time, and went round like
that, a round trip after another, until the clock reached the second 01:30. Deferred in
the second 01:15, a recipient waits for the 01:30 that follows it."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

from bot.config.notifications import NotificationSettings, QuietHours
from tests.conftest import BotFactory
from tests.test_notifications import Person, campaign, report, seed, setup

_YEAR = datetime.now(UTC).year + 1
_OCTOBER_31 = datetime(_YEAR, 10, 31, 1, 15, tzinfo=UTC)
SECOND_0115 = (_OCTOBER_31 - timedelta(days=(_OCTOBER_31.weekday() + 1) % 7)).timestamp()
"""01:15 GMT on the last Sunday of October: in London the clock shows 01:15 for the second
time that night. A night to come, whatever the year the test runs in: the recipient's
deferral is not due yet, so the scheduler leaves it to the test."""
QUIET = NotificationSettings(timezone="Europe/London", quiet_hours=QuietHours(22 * 60, 90))


async def test_a_recipient_in_the_repeated_hour_waits_for_the_end_that_follows(
    make_bot: BotFactory,
) -> None:
    shared = await setup(make_bot, notifications=QUIET)
    runtime = shared.bot.runtime
    (profile,) = await seed(runtime, shared.number, [Person("447911400001", {}, time.time())])
    at = int(time.time()) + 3600  # not due: the scheduler leaves it to the run below
    template = {"name": "reminder", "language": "en", "category": "utility"}
    body = {"number": shared.number, "template": template, "audience": {"profiles": [profile]}}
    nid = await campaign(shared, body | {"at": at})
    runs = runtime.outreach.notifications.runs
    result = await asyncio.wait_for(runs.execute(nid, at, clock=lambda: SECOND_0115), 20)
    assert result.deferred == 1 and not result.sent
    (run,) = (await report(shared, nid))["runs"]
    assert run["deferred_until"] == SECOND_0115 + 15 * 60
