"""A notification's ``"cron": "0 9 * * MON-SUN"`` was refused: "the range 'MON-SUN' runs
backwards", because SUN is 0 and MON is 1, while ``1-7`` and ``SUN-MON`` were taken.
Sunday now ends a range as 7, as it starts one as 0."""

from __future__ import annotations

from bot.outreach.cron import Cron


def test_a_range_that_ends_on_sunday_takes_the_days_up_to_it() -> None:
    assert Cron.parse("0 9 * * MON-SUN").weekdays == {0, 1, 2, 3, 4, 5, 6}
    assert Cron.parse("0 9 * * FRI-sun").weekdays == {5, 6, 0}
    assert Cron.parse("0 9 * * SUN-TUE").weekdays == {0, 1, 2}
    assert Cron.parse("0 9 * * MON-SUN/2").weekdays == {1, 3, 5, 0}
