"""Regression: shards taken one at a time were each read on their own, for good.

A shard taken while the shared read waited got a read of its own, and a shard back from
its redo after a failure too; each read then went on with its own shards, so that after
a start every shard had its own read again, one command per shard per message, as before
the reads were shared. A shard taken, or back from a redo, now ends the waiting read
(whose shards redo what it may have taken) and the next read takes them all.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis, RedisCluster

from bot.core import workers as workers_module
from bot.core.workers import ShardWorkers
from stores.redis import connect
from tests.test_shared_reader import SHARDS, Recorder, running


@pytest.fixture
async def client(redis_url: str) -> AsyncIterator[Redis]:
    redis = connect(redis_url)
    if isinstance(redis, RedisCluster):
        pytest.skip("a cluster reads each shard apart")
    yield redis
    await redis.aclose()


async def one_read_for_all(workers: ShardWorkers) -> None:
    """Wait until a single read in flight takes every shard held."""
    reader = workers._readers["inbound"]
    async with asyncio.timeout(5):
        while not (  # noqa: ASYNC110 (polls the reader)
            len(reader._reads) == 1
            and {held.shard for (shards,) in [list(reader._reads.values())] for held in shards}
            == set(range(SHARDS))
        ):
            await asyncio.sleep(0.02)


async def test_shards_taken_one_at_a_time_share_one_read(client: Redis, prefix: str) -> None:
    work = Recorder()
    async with running(client, prefix, work) as (workers, stream):
        await one_read_for_all(workers)
        for shard in range(SHARDS):
            await stream.append(shard, f"{shard}-a")
        await work.wait_worked(*(f"{shard}-a" for shard in range(SHARDS)))
        await one_read_for_all(workers)


async def test_a_shard_back_from_its_redo_rejoins_the_shared_read(
    client: Redis, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(workers_module, "REDO_SECONDS", 0.05)
    work = Recorder()
    work.failing.add("1-once")
    async with running(client, prefix, work) as (workers, stream):
        await stream.append(1, "1-once")
        async with asyncio.timeout(5):
            while not work.calls:  # noqa: ASYNC110 (polls the work)
                await asyncio.sleep(0.02)
        work.failing.clear()
        await work.wait_worked("1-once")
        await one_read_for_all(workers)
    assert await stream.backlog() == 0
