"""A campaign's run checked that its service was the number's parent when it came due,
and never again: the parent detached while its campaign to 2,000 contacts was under way
(SN-7), and the run went on to queue every one of them, in the name of a service no longer
on the number. A run now stops at its next batch when its service may no longer send:
what it queued goes, no one more is, and the run is set aside, saying why."""

from __future__ import annotations

import time

from bot.config.notifications import NotificationSettings
from tests.conftest import BotFactory
from tests.test_notifications import Person, campaign, report, seed, setup, until

AUDIENCE = 2000


async def test_a_run_stops_at_its_next_batch_when_its_service_detaches(
    make_bot: BotFactory,
) -> None:
    shared = await setup(make_bot, notifications=NotificationSettings(quiet_hours=None, batch=10))
    people = [Person(f"4479110{n:05d}", wrote_at=time.time() - 60) for n in range(AUDIENCE)]
    await seed(shared.bot.runtime, shared.number, people)
    body = {"number": shared.number, "text": "Sale", "audience": {"topic": "offers"}}
    nid = await campaign(shared, body)

    async def under_way() -> bool:
        runs = (await report(shared, nid))["runs"]
        return bool(runs) and 0 < runs[0]["progress"]["evaluated"] < AUDIENCE

    await until(under_way, 20, "the run to be under way")
    detached = await shared.call("support", "DELETE", "/v1/services/support")
    assert detached.status == 200, detached.raw

    async def set_aside() -> dict[str, object] | None:
        found = await report(shared, nid, "sales")
        return found if found["status"] == "failed" else None

    found = await until(set_aside, 20, "the run to be set aside")
    run = found["runs"][0]
    assert "not the parent" in run["error"] or "no service" in run["error"], run
    await shared.bot.settle()
    queued = (await report(shared, nid, "sales"))["counts"]["queued"]
    assert queued < AUDIENCE / 2, queued
    assert len(shared.graph.sent) == queued + 1  # the welcome, and what was queued
