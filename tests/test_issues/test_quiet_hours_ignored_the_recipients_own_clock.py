"""Quiet hours held in the profile's ``timezone`` field, else in the deployment's
(``notifications.timezone``): a marketing SMS of a London business, quiet 21:00-09:00,
went to a San Francisco customer (+1 415) at 05:53 their time, the field being unset.
Where the profile says no zone, the phone's number does, when all its zones show one
time (a US area code, a country of one clock); else the deployment's as before."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.config.notifications import NotificationSettings
from tests.conftest import BotFactory
from tests.test_notifications import Person, campaign, quiet_now, report, seed, setup, until


async def test_quiet_hours_hold_on_the_phone_s_clock(make_bot: BotFactory) -> None:
    offset = datetime.now(UTC).astimezone(ZoneInfo("America/Los_Angeles")).utcoffset()
    assert offset is not None
    hours = int(offset.total_seconds() // 3600)  # -8, or -7 in summer
    quiet = NotificationSettings(timezone="Europe/London", quiet_hours=quiet_now(hours))
    shared = await setup(make_bot, notifications=quiet)
    runtime = shared.bot.runtime
    people = [
        Person("14155550199", {}, time.time() - 60),  # San Francisco: quiet there now
        Person("447911300009", {}, time.time() - 60),  # London: not quiet
        Person("61412345678", {}, time.time() - 60),  # Australia, several clocks: London's
    ]
    ids = await seed(runtime, shared.number, people)
    body = {"number": shared.number, "text": "Sale on", "audience": {"profiles": ids}}
    nid = await campaign(shared, body)

    async def two_sent() -> dict[str, object] | None:
        found = await report(shared, nid)
        return found if found["counts"]["sent"] == 2 else None

    found = await until(two_sent, what="2 sends")
    assert found["counts"]["deferred"] == 1
    scheduled = await runtime.outreach.notifications.store.scheduled(nid)
    assert len(scheduled) == 1
    ends = datetime.fromtimestamp(scheduled[0][1], ZoneInfo("America/Los_Angeles"))
    assert (ends.hour * 60 + ends.minute) == quiet.quiet_hours.end % 1440  # type: ignore[union-attr]
