"""A daily campaign skipped the day the clocks went forward, and a half-hourly one the
hour they went back.

As a marketer in London saw it: ``30 1 * * *`` ran on 28 March and then on 30 March,
never on 29 March (01:30 does not happen that day); ``*/30 * * * *`` ran at 01:00 and
01:30 summer time on 25 October, then at 02:00 winter time: nothing during the hour the
clocks repeat. Vixie cron and cronie run a fixed-time job skipped by the change right
after it, and a job of ``*`` minutes or hours through the repeated hour again.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.outreach.cron import Cron

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")


def at(text: str, zone: ZoneInfo = LONDON) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=zone).timestamp()


def shown(moment: float, zone: ZoneInfo = LONDON) -> str:
    return datetime.fromtimestamp(moment, zone).strftime("%d %b %H:%M %Z")


def runs(expression: str, after: str, count: int, zone: ZoneInfo = LONDON) -> list[str]:
    cron, moment, found = Cron.parse(expression), at(after, zone), []
    for _ in range(count):
        moment = cron.next_after(moment, zone)
        found.append(shown(moment, zone))
    return found


def test_a_fixed_time_skipped_by_the_change_runs_right_after_it() -> None:
    assert runs("30 1 * * *", "2026-03-28 00:00", 3) == [
        "28 Mar 01:30 GMT",
        "29 Mar 02:00 BST",
        "30 Mar 01:30 BST",
    ]
    assert runs("30 2 * * *", "2026-03-07 12:00", 2, NEW_YORK) == [
        "08 Mar 03:00 EDT",
        "09 Mar 02:30 EDT",
    ]


def test_a_job_of_any_minute_runs_through_the_repeated_hour() -> None:
    assert runs("*/30 * * * *", "2026-10-25 00:45", 5) == [
        "25 Oct 01:00 BST",
        "25 Oct 01:30 BST",
        "25 Oct 01:00 GMT",
        "25 Oct 01:30 GMT",
        "25 Oct 02:00 GMT",
    ]
    assert runs("30 1 * * *", "2026-10-25 00:00", 2) == ["25 Oct 01:30 BST", "26 Oct 01:30 GMT"]
