"""``/notify ... at=<the last Sunday of March>T01:30`` with the notifications' zone
Europe/London (or ``admin notify --at``) names a time that never comes there: the clocks
go from 01:00 to 02:00. It was taken without a word and scheduled for 02:30 of summer
time. Such a time is refused now, naming the change, and nothing is scheduled."""

from __future__ import annotations

import calendar
from datetime import UTC, datetime

from bot.config.settings import NotificationSettings
from tests.conftest import BotFactory
from tests.test_notifications import setup
from tests.test_notifications_commands import AGENT

YEAR = datetime.now(UTC).year + 1
SPRING = max(
    day
    for day in range(25, 32)
    if calendar.weekday(YEAR, 3, day) == calendar.SUNDAY  # the last Sunday of March
)


async def test_a_time_the_clocks_skip_is_refused(make_bot: BotFactory) -> None:
    shared = await setup(make_bot, notifications=NotificationSettings(timezone="Europe/London"))
    commands = shared.bot.runtime.commands
    skipped = f"{YEAR}-03-{SPRING:02d}T01:30"
    answer = await commands.run(AGENT, f"/notify wa topic=offers at={skipped} Spring offers")
    assert f"{skipped} is no time in Europe/London: the clocks skip it" in answer, answer
    assert "Scheduled" not in answer

    after = f"{YEAR}-03-{SPRING:02d}T02:30"  # summer time's first hour: 01:30 UTC
    answer = await commands.run(AGENT, f"/notify wa topic=offers at={after} Spring offers")
    assert answer.endswith(f"for {YEAR}-03-{SPRING:02d} 01:30 UTC."), answer
