"""A service's cron notification (``* * * * *``), after another service became the
number's parent: each occurrence came due, was refused ("'crm' is not the parent ... now")
and set aside, and put the next on the schedule: a dead letter a minute, 1,440 a day,
while its report said "failed" with no ``next_at``, and the service that made it got 403
for its ``DELETE``. A cron schedule refused so stops there."""

from __future__ import annotations

import time

from tests.conftest import BotFactory
from tests.test_notifications import Person, campaign, seed, setup


async def test_a_refused_cron_stops_its_schedule(make_bot: BotFactory) -> None:
    shared = await setup(make_bot)
    runtime = shared.bot.runtime
    ids = await seed(runtime, shared.number, [Person("447911400001", wrote_at=time.time() - 60)])
    body = {
        "number": shared.number,
        "text": "Today's menu",
        "cron": "* * * * *",
        "audience": {"profiles": ids},
    }
    nid = await campaign(shared, body)  # by the parent, support
    store = runtime.outreach.notifications.runs.store
    ((run, at),) = await store.scheduled(nid)
    await runtime.directory.store.detach(shared.number, "support")  # another is the parent

    result = await runtime.outreach.notifications.runs.execute(nid, run, clock=lambda: at + 1)

    assert result.done and "is not the parent" in (result.refused or "")
    assert await store.scheduled(nid) == []  # no occurrence after it
    dead = await runtime.redis.zrange(runtime.keys.notifications_dead(), 0, -1)
    assert dead == [f"{nid}|{run}"]
    assert not shared.bot.graph or "Today's menu" not in [m.text for m in shared.bot.graph.sent]
