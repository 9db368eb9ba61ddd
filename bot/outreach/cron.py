"""Cron schedules for recurring notifications: five fields (minute, hour, day of month,
month, day of week) with ``*``, lists, ranges, steps, and JAN-DEC and SUN-SAT names."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
WEEKDAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
SEARCH_DAYS = 366 * 8
"""Days searched for the next occurrence; 29 February on a Monday can take 28 years, and
such a schedule is refused as practically never occurring."""

_FIELDS = (
    ("minute", 0, 59, ()),
    ("hour", 0, 23, ()),
    ("day of month", 1, 31, ()),
    ("month", 1, 12, MONTHS),
    ("day of week", 0, 7, WEEKDAYS),
)


SHIFT = timedelta(hours=3)
"""More than any daylight-saving change moves a clock (two hours at most)."""


class CronError(ValueError):
    """A schedule that is not a five-field cron expression; the message says where."""


def _value(text: str, low: int, names: tuple[str, ...], what: str) -> int:
    upper = text.upper()
    if names and upper in names:
        return names.index(upper) + (1 if names is MONTHS else 0)
    if not (text.isascii() and text.isdigit()):
        raise CronError(f"{what}: {text!r} is not a number" + (" or a name" if names else ""))
    return int(text)


def _field(text: str, low: int, high: int, names: tuple[str, ...], what: str) -> frozenset[int]:
    values: set[int] = set()
    for item in text.split(","):
        spec, _, step_text = item.partition("/")
        step = 1
        if step_text:
            if not (step_text.isascii() and step_text.isdigit()) or int(step_text) < 1:
                raise CronError(f"{what}: the step in {item!r} must be a positive number")
            step = int(step_text)
        if spec == "*":
            start, end = low, high
        elif "-" in spec:
            first, _, last = spec.partition("-")
            start, end = _value(first, low, names, what), _value(last, low, names, what)
            if names is WEEKDAYS and last.upper() == "SUN":
                end = 7  # MON-SUN: Sunday ends a range as 7, as it starts one as 0
        else:
            start = _value(spec, low, names, what)
            end = high if step_text else start  # 5/15 is 5-59/15, as in Vixie cron
        if not low <= start <= high or not low <= end <= high:
            raise CronError(f"{what}: {item!r} is outside {low}-{high}")
        if start > end:
            raise CronError(f"{what}: the range {item!r} runs backwards")
        values.update(range(start, end + 1, step))
    return frozenset(values)


@dataclass(frozen=True, slots=True)
class Cron:
    """A parsed schedule; ``next_after`` finds its next occurrence in a time zone."""

    expression: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]
    """0 is Sunday (7 is read as Sunday too)."""
    days_restricted: bool
    weekdays_restricted: bool
    fixed_time: bool = False
    """Neither the minute nor the hour field is a ``*`` (``30 1 * * *``, not ``*/30 * * * *``):
    across a daylight-saving change, such a job runs once a day as cron does."""

    @classmethod
    def parse(cls, expression: str) -> Cron:
        parts = expression.split()
        if len(parts) != 5:
            raise CronError(
                f"a cron schedule has 5 fields (minute hour day month weekday), "
                f"got {len(parts)}: {expression!r}"
            )
        fields = [
            _field(part, low, high, names, what)
            for part, (what, low, high, names) in zip(parts, _FIELDS, strict=True)
        ]
        weekdays = frozenset(day % 7 for day in fields[4])
        return cls(
            " ".join(parts),
            fields[0],
            fields[1],
            fields[2],
            fields[3],
            weekdays,
            # Vixie cron: when both day fields are restricted, either one matching will do.
            days_restricted=not parts[2].startswith("*"),
            weekdays_restricted=not parts[4].startswith("*"),
            fixed_time=not (parts[0].startswith("*") or parts[1].startswith("*")),
        )

    def day_matches(self, day: date) -> bool:
        if day.month not in self.months:
            return False
        by_date = day.day in self.days
        by_weekday = (day.weekday() + 1) % 7 in self.weekdays
        if self.days_restricted and self.weekdays_restricted:
            return by_date or by_weekday
        return by_date and by_weekday

    def matches(self, moment: datetime) -> bool:
        """Whether the minute of ``moment`` (a wall-clock time) is an occurrence."""
        return (
            moment.minute in self.minutes
            and moment.hour in self.hours
            and self.day_matches(moment.date())
        )

    def next_after(self, after: float, zone: ZoneInfo) -> float:
        """The first occurrence strictly after the unix time ``after``, as a unix time.

        Across a daylight-saving change, as Vixie cron and cronie do: a job at a fixed
        time (``fixed_time``) that the change skips runs right after it, and one in the
        repeated hour runs once; a job of ``*`` minutes or hours follows the clock on
        the wall, skipping the hour that is not there and running through the repeated
        one again."""
        start = datetime.fromtimestamp(after, zone).replace(tzinfo=None, second=0, microsecond=0)
        hours, minutes = sorted(self.hours), sorted(self.minutes)
        for offset in range(SEARCH_DAYS):
            day = start.date() + timedelta(days=offset)
            if not self.day_matches(day):
                continue
            found: list[float] = []
            for hour in hours:
                for minute in minutes:
                    wall = datetime(day.year, day.month, day.day, hour, minute)
                    # A change moves the clock by hours at most: walls this far from the
                    # start, or from what was found, cannot be the first occurrence.
                    if wall < start - SHIFT or (found and wall > start + SHIFT):
                        continue
                    found += [m for m in self._moments(wall, zone) if m > after]
            if found:
                return min(found)
        raise CronError(f"{self.expression!r} does not occur in the next {SEARCH_DAYS} days")

    def _moments(self, wall: datetime, zone: ZoneInfo) -> list[float]:
        """The unix times at which the wall-clock time ``wall`` occurs for this job."""
        first = wall.replace(tzinfo=zone).timestamp()
        if _shown(first, zone) == wall:
            second = wall.replace(tzinfo=zone, fold=1).timestamp()
            return [first, second] if second != first and not self.fixed_time else [first]
        if not self.fixed_time:
            return []  # skipped by a daylight-saving change
        later = wall
        while _shown(later.replace(tzinfo=zone).timestamp(), zone) != later:
            later += timedelta(minutes=1)  # the first minute after the change
        return [later.replace(tzinfo=zone).timestamp()]


def _shown(moment: float, zone: ZoneInfo) -> datetime:
    """The wall-clock minute of ``moment`` in ``zone``."""
    return datetime.fromtimestamp(moment, zone).replace(tzinfo=None, fold=0)
