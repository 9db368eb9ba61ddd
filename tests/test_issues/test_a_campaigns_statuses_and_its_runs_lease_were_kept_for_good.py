"""Every notification run (each occurrence of a cron campaign, each drip step) left its
lease's fencing count in Redis for good (2,049 keys after 20 minutes of a soak), and a
finished run's statuses and outcome lists (sent, delivered, read) were kept for good too,
though its recipients go after 35 days: their expiry was set when the run finished
queueing, before the sends came back and made them. Both go with the run's data now."""

from __future__ import annotations

from redis.asyncio import Redis

from stores.leases import Leases
from stores.redis import Keys
from tests.conftest import BotFactory
from tests.emulators import meta_webhooks as meta
from tests.test_api import WA_ID
from tests.test_notifications import campaign, finished, report, setup, until


async def test_a_finished_runs_statuses_and_lease_expire(make_bot: BotFactory) -> None:
    shared = await setup(make_bot)
    runtime = shared.bot.runtime
    body = {
        "number": shared.number,
        "text": "Sale starts now",
        "audience": {"conversations": [shared.conversation]},
    }
    nid = await campaign(shared, body)
    await finished(shared, nid)
    (sent,) = [m for m in shared.graph.sent if m.text == "Sale starts now"]
    for status in ("delivered", "read"):  # after the run finished, as receipts come
        receipt = meta.status_update(shared.bot.phone_number_id, sent.message_id, WA_ID, status)
        assert (await shared.bot.post_whatsapp(receipt)).status == 200

    async def read() -> bool:
        await shared.bot.settle()
        return bool((await report(shared, nid))["counts"]["read"] == 1)

    await until(read, what="the read receipt counted")
    redis, keys = runtime.redis, runtime.keys
    (run,) = [r["run"] for r in (await report(shared, nid))["runs"]]
    kept = [keys.notification_run(nid, run, "st")] + [
        keys.notification(nid, f"o:{outcome}") for outcome in ("sent", "delivered", "read")
    ]
    for key in kept:
        assert 0 < await redis.ttl(key) <= 35 * 24 * 3600, key
    fence = keys.lease_fence(f"ntf:{nid}|{run}")
    assert 0 < await redis.ttl(fence) <= 7 * 24 * 3600


async def test_a_forgotten_count_is_kept_again_while_held(store: Redis, prefix: str) -> None:
    leases, keys = Leases(store, Keys(prefix), "a"), Keys(prefix)
    assert await leases.acquire("run", 5000) == 1
    await leases.release("run", forget_after_ms=60_000)
    assert 0 < await store.pttl(keys.lease_fence("run")) <= 60_000
    assert await leases.acquire("run", 5000) == 2  # taken again: it counts on, for good
    assert await store.pttl(keys.lease_fence("run")) == -1
    await leases.release("run")
    assert await store.pttl(keys.lease_fence("run")) == -1  # a lease of a fixed name
