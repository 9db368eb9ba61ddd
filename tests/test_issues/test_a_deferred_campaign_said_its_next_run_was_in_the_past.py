"""A campaign whose recipients wait out their quiet hours reported ``next_at`` as the time
it was made (its run's, long started), and ``admin notify-report`` and ``/notify report``
said "next <that time>": a time past, while what came next was the end of the quiet
hours. ``next_at`` is when something is next due: the end of the quiet hours a run's
deferred recipients wait for, or the next run of a schedule; null when nothing is."""

from __future__ import annotations

import time
from typing import Any

from bot.config.notifications import NotificationSettings
from tests.conftest import BotFactory
from tests.test_notifications import (
    Person,
    campaign,
    finished,
    quiet_now,
    report,
    seed,
    setup,
    until,
)

PHONE = "447911800733"


async def test_next_at_is_when_the_deferred_recipients_go(make_bot: BotFactory) -> None:
    shared = await setup(make_bot, notifications=NotificationSettings(quiet_hours=quiet_now(6)))
    quiet_there = Person(PHONE, {"timezone": "Etc/GMT-6"}, wrote_at=time.time() - 60)
    await seed(shared.bot.runtime, shared.number, [quiet_there])
    body = {"number": shared.number, "text": "Later", "audience": {"profiles": [f"+{PHONE}"]}}
    nid = await campaign(shared, body)
    await finished(shared, nid, deferred=True)

    async def deferral_kept() -> dict[str, Any] | None:
        found = await report(shared, nid)
        return found if found["runs"][0].get("deferred_until") else None

    found = await until(deferral_kept, what="the run's deferral recorded")
    (run,) = found["runs"]
    assert run["deferred_until"] > time.time()
    assert found["next_at"] == run["deferred_until"], found
