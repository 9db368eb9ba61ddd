"""Quiet hours that end in the hour a daylight-saving change skips (22:00-02:30 in
America/New_York, whose clocks go forward from 02:00 to 03:00) deferred a recipient until
03:30, half an hour after they ended: 02:30 never shows that night, and it was read as
02:30 of the clock before the change. The span ends as the clock jumps to 03:00."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

from bot.config.notifications import NotificationSettings, QuietHours
from tests.conftest import BotFactory
from tests.test_notifications import Person, campaign, report, seed, setup

_YEAR = datetime.now(UTC).year + 1
_MARCH_8 = datetime(_YEAR, 3, 8, 6, 10, tzinfo=UTC)
AT_0110 = (_MARCH_8 + timedelta(days=(6 - _MARCH_8.weekday()) % 7)).timestamp()
"""01:10 in New York on the second Sunday of March, the night its clocks go forward. A
night to come, whatever the year the test runs in: the recipient's deferral is not due
yet, so the scheduler leaves it to the test."""
JUMP = AT_0110 + 50 * 60
"""02:00 EST, when New York's clocks show 03:00 EDT."""
QUIET = NotificationSettings(
    timezone="America/New_York", quiet_hours=QuietHours(22 * 60, 2 * 60 + 30)
)


async def test_a_span_ending_in_the_skipped_hour_ends_as_the_clock_jumps(
    make_bot: BotFactory,
) -> None:
    shared = await setup(make_bot, notifications=QUIET)
    runtime = shared.bot.runtime
    (profile,) = await seed(runtime, shared.number, [Person("447911400002", {}, time.time())])
    at = int(time.time()) + 3600  # not due: the scheduler leaves it to the run below
    template = {"name": "reminder", "language": "en", "category": "utility"}
    body = {"number": shared.number, "template": template, "audience": {"profiles": [profile]}}
    nid = await campaign(shared, body | {"at": at})
    runs = runtime.outreach.notifications.runs
    result = await asyncio.wait_for(runs.execute(nid, at, clock=lambda: AT_0110), 20)
    assert result.deferred == 1 and not result.sent
    (run,) = (await report(shared, nid))["runs"]
    assert run["deferred_until"] == JUMP
