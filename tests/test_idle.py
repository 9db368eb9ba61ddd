"""An idle bot costs Redis little, and waits without delaying the next message: the shards'
reads block until an entry comes, and a stop ends them at once."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from redis.asyncio import Redis

from bot.core.workers import READ_BLOCK_MS
from stores.notifications import NotificationStore
from stores.redis import Keys, connect
from tests.conftest import BotFactory
from tests.emulators import meta_webhooks as meta

WINDOW_SECONDS = 6.0
SHARDS = 4
NOT_YET = READ_BLOCK_MS / 1000 / 4
"""A wait that a read interrupted or woken at once stays well within."""


async def commandstats(redis: Redis) -> dict[str, int]:
    stats: dict[str, Any] = await redis.info("commandstats")
    return {name.removeprefix("cmdstat_"): int(value["calls"]) for name, value in stats.items()}


@pytest.mark.slow
async def test_an_idle_bot_runs_few_redis_commands(
    private_redis: str, make_bot: BotFactory
) -> None:
    # No service: the fan-out's reads are not counted here.
    bot = await make_bot(redis_url=private_redis, shards=SHARDS, services=())
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while len(bot.runtime.workers.tasks) < SHARDS:  # ready: every shard is held
        assert loop.time() < deadline, "the shards were never taken"
        await asyncio.sleep(0.05)
    async with Redis.from_url(private_redis, decode_responses=True) as redis:
        before = await commandstats(redis)
        began = time.monotonic()
        await asyncio.sleep(WINDOW_SECONDS)  # a count over a window: nothing is waited for
        after = await commandstats(redis)
        seconds = time.monotonic() - began
    ran = {name: calls - before.get(name, 0) for name, calls in after.items() if name != "info"}
    # Each shard's two streams wait in one read each, not two reads a second (16 in 6 s).
    assert ran.get("xreadgroup", 0) <= 2 * SHARDS
    # The shard leases and the heartbeat are one script a round, the scheduler's one a tick.
    assert ran.get("evalsha", 0) <= seconds * 2.5
    # Before: about 33 commands a second with 4 shards, scripts' own commands included.
    assert sum(ran.values()) <= seconds * 22, ran


async def test_a_message_to_an_idle_bot_is_fanned_out_at_once(make_bot: BotFactory) -> None:
    bot = await make_bot()
    # Idle long enough that every shard waits in its blocking read.
    await asyncio.sleep(1.0)
    payload = meta.text_message(bot.phone_number_id, "447700900123", "hello")
    response = await bot.post_whatsapp(payload)
    assert response.status == 200
    await bot.sinks["support"].wait_for_count(1, type="message.inbound", timeout=NOT_YET)


async def test_a_stop_ends_the_waiting_reads_at_once(make_bot: BotFactory) -> None:
    bot = await make_bot()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while len(bot.runtime.workers.tasks) < 4:
        assert loop.time() < deadline, "the shards were never taken"
        await asyncio.sleep(0.05)
    began = time.monotonic()
    await bot.stop()
    assert time.monotonic() - began < NOT_YET


async def test_a_run_another_process_schedules_starts_when_due(
    make_bot: BotFactory, prefix: str, redis_url: str
) -> None:
    bot = await make_bot()
    scheduler = bot.runtime.outreach.scheduler
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while scheduler.token is None:  # it holds the lease and sleeps: nothing is due
        assert loop.time() < deadline, "the scheduler never took its lease"
        await asyncio.sleep(0.05)
    other = connect(redis_url)
    try:
        due = time.time() + 1.5
        await NotificationStore(other, Keys(prefix)).schedule("ntf_elsewhere", 1, due)
    finally:
        await other.aclose()
    # Unheard, the schedule would be looked at next 15 s (LOOK_SECONDS) after the look when
    # the lease was taken, some 13 s late; heard, at its time. 5 s of slack for a loaded
    # machine's timers still tells the two apart (1 s left a busy one a hair's room).
    while scheduler.started == 0:  # a run without its record: started, then dropped
        assert time.time() < due + 5.0, "the run did not start within 5 s of its time"
        await asyncio.sleep(0.02)
    assert time.time() >= due
