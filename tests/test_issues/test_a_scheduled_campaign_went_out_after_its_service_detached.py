"""A notification scheduled by the parent went out at its time though the parent had
detached since (the next service, now the parent, got a ``message.outbound`` from a
service no longer attached), and though no service was left on the number at all: only
the parent sends notifications (SN-6), and a number with no service answers nobody
(SN-8). Such a run is set aside now, failed with the reason, and nothing is sent."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from tests.conftest import BotFactory
from tests.test_notifications import campaign, setup


async def run_of(shared: Any, nid: str) -> dict[str, Any]:
    """The campaign's run once it has one that ended (sent or failed)."""
    async with asyncio.timeout(20):
        while True:
            found = await shared.bot.runtime.outreach.notifications.report(nid)
            ended = [r for r in found["runs"] if r["status"] in ("sent", "failed")]
            if ended:
                return dict(ended[0])
            await asyncio.sleep(0.1)


async def due_now(shared: Any, nid: str) -> None:
    """Bring the campaign's one run forward to now. It is made for an hour on, so that it
    cannot come due while the test is still detaching (a run 2 s on could, on a slow
    machine), and only then made due."""
    store = shared.bot.runtime.outreach.notifications.store
    [(run, _)] = await store.scheduled(nid)
    await store.schedule(nid, run, time.time())


@pytest.mark.parametrize("left", [("sales", "marketing"), ()])
async def test_a_due_campaign_of_a_detached_parent_sends_nothing(
    make_bot: BotFactory, left: tuple[str, ...]
) -> None:
    shared = await setup(make_bot)
    body = {
        "number": shared.number,
        "audience": {"conversations": [shared.conversation]},
        "text": "scheduled hello",
        "at": time.time() + 3600,
    }
    nid = await campaign(shared, body)  # support is the parent
    directory = shared.bot.runtime.directory
    for name in ("support", "sales", "marketing"):
        if name not in left:
            await directory.detach(shared.number, name)
    await due_now(shared, nid)

    run = await run_of(shared, nid)
    assert run["status"] == "failed"
    assert "not the parent" in run["error"] if left else "no service" in run["error"]
    await shared.bot.settle()
    assert "scheduled hello" not in shared.texts_sent()
    if left:
        sales = shared.bot.sinks["sales"]
        assert all("scheduled hello" not in d.raw_body.decode() for d in sales.deliveries)


async def test_a_run_set_aside_then_replayed_reports_its_audience(make_bot: BotFactory) -> None:
    shared = await setup(make_bot)
    body = {
        "number": shared.number,
        "audience": {"conversations": [shared.conversation]},
        "text": "replayed hello",
        "at": time.time() + 3600,
    }
    nid = await campaign(shared, body)
    directory = shared.bot.runtime.directory
    for name in ("support", "sales", "marketing"):
        await directory.detach(shared.number, name)
    await due_now(shared, nid)
    assert (await run_of(shared, nid))["status"] == "failed"
    await directory.attach(shared.number, "support")  # the parent again: replayed
    notifications = shared.bot.runtime.outreach.notifications
    assert await notifications.runs.replay_set_aside(time.time()) == 1
    shared.bot.runtime.outreach.scheduler.wake()
    async with asyncio.timeout(20):
        while True:
            found = await notifications.report(nid)
            if found["status"] == "sent" and found["runs"][0]["status"] in ("sent", "done"):
                break
            await asyncio.sleep(0.1)
    assert found["runs"][0]["progress"] == {"evaluated": 1, "audience": 1}
    assert found["counts"]["sent"] == 1
