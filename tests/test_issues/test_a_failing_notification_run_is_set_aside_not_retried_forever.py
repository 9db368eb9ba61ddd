"""A notification run that kept failing was started again at every tick of the scheduler,
forever. The scheduler looks at the 16 runs due first: with that many failing runs
ahead, no other notification ever went out.

Now a failed run is tried again later and later (1, 2, 4, 8 s), and after its last
attempt it is set aside with its error: ``admin dead-letters --notifications`` lists it
and ``--replay`` schedules it again; the notification's report says ``failed`` with the
error, and ``/metrics`` counts it. The runs behind it go out.

The failing runs are notifications written by a newer version, whose cron schedules
have a field for seconds, which this one cannot read.
"""

from __future__ import annotations

import os
import time

import pytest

from bot.outreach.scheduler import MAX_PARALLEL
from bot.outreach.spec import NotificationSpec
from tests.botprocess import run_command
from tests.conftest import REDIS_URL, BotFactory
from tests.scrape import scrape
from tests.test_api import Shared
from tests.test_notifications import campaign, finished, report, setup, until

pytestmark = pytest.mark.slow

FAILING = MAX_PARALLEL * 4
"""As many as the scheduler looks at in one tick."""


async def failing_run(shared: Shared, n: int, due_at: int) -> str:
    """A due notification whose stored schedule this version cannot read."""
    spec = NotificationSpec(
        shared.number, "support", "conversations", text=f"newer {n}", cron="0 0 9 * * MON"
    )
    nid = f"ntf_from_a_newer_version_{n:02d}"
    record = {
        "id": nid,
        "number": shared.number,
        "service": "support",
        "status": "sending",
        "created_at": repr(due_at),
        "next_at": repr(due_at),
        "spec": spec.to_json(),
    }
    store = shared.bot.runtime.notification_store
    audience = [f"c:{shared.conversation}"]
    assert await store.create(nid, record, audience, due_at=due_at, run=due_at)
    return nid


async def metric(shared: Shared, name: str) -> int:
    return int(await scrape(shared.bot.client, name))


async def test_failing_runs_are_set_aside_and_the_others_go_out(make_bot: BotFactory) -> None:
    shared = await setup(make_bot)
    earlier = int(time.time()) - 60
    failing = [await failing_run(shared, n, earlier + n) for n in range(FAILING)]
    body = {
        "number": shared.number,
        "text": "Sale starts now",
        "audience": {"conversations": [shared.conversation]},
    }
    nid = await campaign(shared, body)

    assert (await finished(shared, nid))["counts"]["sent"] == 1
    sent = [m for m in shared.graph.sent if m.text == "Sale starts now"]
    assert len(sent) == 1

    async def all_set_aside() -> bool:
        return await metric(shared, "notifications_dead_letters") == FAILING

    await until(all_set_aside, timeout=60, what="the failing runs to be set aside")
    assert await metric(shared, "notifications_dead_lettered_total") == FAILING
    found = await report(shared, failing[0])
    assert found["status"] == "failed"
    [run] = found["runs"]
    assert run["status"] == "failed" and "CronError" in run["error"]
    env = {
        **os.environ,
        "REDIS_URL": REDIS_URL,
        "SWITCHBOARD_KEY_PREFIX": shared.bot.runtime.settings.key_prefix,
        "SWITCHBOARD_CONFIG": os.devnull,
    }
    code, out, err = await run_command(env, "admin", "dead-letters", "--notifications")
    assert code == 0, err
    lines = sorted(out.splitlines())
    assert [line.split()[0] for line in lines] == failing
    assert "5 attempts" in lines[0] and "CronError" in lines[0]

    code, out, err = await run_command(env, "admin", "dead-letters", "--notifications", "--replay")
    assert code == 0, err
    assert out.strip() == f"{FAILING} notification runs are scheduled again"
    found = await report(shared, failing[0])
    assert found["status"] == "sending" and found["runs"][0]["status"] == "sending"
    assert [m.text for m in shared.graph.sent].count("Sale starts now") == 1
