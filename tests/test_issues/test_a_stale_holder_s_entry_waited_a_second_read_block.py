"""Regression: an entry a stale holder's read took waited a read block more (REL-1).

A process that takes a shard over from a holder whose lease lapsed sweeps, once, what
that holder's reads took: when its own read has waited as long as a read waits, any read
of the old holder is over. It told so by its event loop's clock: the read's wait, measured
from before the read to after its answer, had to reach the block. uvloop's clock counts
whole milliseconds and Redis ends a wait by its own, so a read that waited its whole block
could measure a hair short of it (24.999999... s). The sweep then waited for the next
read: the customer's message stayed with the dead holder 25 s more, and the regression
test of the stranded entry timed out now and then on a loaded machine.

A read that comes back empty after its whole block was ended by Redis, after any read
that began before it: the sweep follows such a read whatever the clock says. Here the
loop's clock runs slow, so no wait ever measures its block by it.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Collection

import pytest
from redis.asyncio import Redis

from bot.core import workers
from bot.core.metrics import Meters
from bot.core.workers import ShardWorkers
from stores.leases import Leases
from stores.redis import Keys
from stores.streams import GROUP, Entry, ShardedStream
from tests.conftest import REDIS_URL

SLOW = 50.0
"""The loop's clock runs this many times slower than the time Redis keeps."""
BLOCK_MS = 100


class SlowClockLoop(asyncio.SelectorEventLoop):
    def time(self) -> float:
        return time.monotonic() / SLOW


async def until(check: Callable[[], Awaitable[object]], wanted: bool = True) -> None:
    """Poll ``check`` until it says ``wanted``, on real time (the loop's clock is slow)."""
    deadline = time.monotonic() + 20
    while bool(await check()) != wanted:
        assert time.monotonic() < deadline, "waited 20 s"


async def reading(redis: Redis, client: str) -> None:
    """Until the connection named ``client`` waits in a stream read."""

    async def blocked() -> bool:
        return any(
            each["name"] == client and each["cmd"] == "xreadgroup" and "b" in each["flags"]
            for each in await redis.client_list()
        )

    await until(blocked)


async def an_entry_read_by_a_stale_holder_is_worked(prefix: str) -> bool:
    name = f"holder-{prefix.split(':')[1]}"  # the new holder's connections
    redis = Redis.from_url(REDIS_URL, decode_responses=True, client_name=name)
    keys = Keys(prefix)
    inbound = ShardedStream(redis, keys, 1, "inbound")
    await inbound.ensure_groups()
    # The old holder's lease lapsed (its note is still there), and its read still waits.
    old = Leases(redis, keys, "old")
    assert await old.grant("shard:0", 1) is not None
    await until(lambda: redis.exists(keys.lease("shard:0")), False)
    stale = Redis.from_url(REDIS_URL, decode_responses=True, client_name=f"stale-{name}")
    stale_read = asyncio.ensure_future(
        stale.xreadgroup(GROUP, "old:1", {inbound.key(0): ">"}, count=10, block=10 * BLOCK_MS)
    )
    await reading(redis, f"stale-{name}")
    worked: list[str] = []

    async def work(batch: list[Entry]) -> Collection[str] | None:
        worked.extend(entry.data for entry in batch)
        return None

    shard_workers = ShardWorkers(
        [(inbound, work)], Leases(redis, keys, "new"), "new:2", 1, Meters()
    )
    stopping = asyncio.Event()
    supervising = asyncio.ensure_future(shard_workers.supervise(stopping))
    try:
        await reading(redis, name)  # the new holder's first read waits behind the stale one
        await inbound.append(0, "hello")
        assert await stale_read  # the stale read took it, and will never acknowledge it
        deadline = time.monotonic() + 30 * BLOCK_MS / 1000
        while not worked and time.monotonic() < deadline:  # noqa: ASYNC110 (a slow clock)
            await asyncio.sleep(0)
        return worked == ["hello"]
    finally:
        stopping.set()
        await supervising
        for task in shard_workers.tasks:
            task.cancel()
        await asyncio.gather(*shard_workers.tasks, return_exceptions=True)
        await shard_workers.release_all()
        await redis.delete(*[key async for key in redis.scan_iter(match=f"{prefix}*")])
        await stale.aclose()
        await redis.aclose()


def test_an_entry_a_stale_holder_s_read_took_is_worked_after_one_read_block(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(workers, "READ_BLOCK_MS", BLOCK_MS)
    loop = SlowClockLoop()
    try:
        assert loop.run_until_complete(
            an_entry_read_by_a_stale_holder_is_worked(f"test:{uuid.uuid4().hex[:12]}:")
        )
    finally:
        loop.close()
