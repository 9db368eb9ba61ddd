"""Concurrent appends share round trips, and each caller still gets its own answer."""

from __future__ import annotations

import asyncio
import functools

import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError

from stores.autopipe import AutoPipeline
from stores.redis import Keys, Pipe
from stores.streams import InboundLog


async def test_concurrent_webhooks_appends_go_out_together(store: Redis, prefix: str) -> None:
    log = InboundLog(store, Keys(prefix), shards=4)
    items = [[(n % 4, f"m:wamid.{n}", f'{{"n": {n}}}')] for n in range(40)]
    first = await asyncio.gather(*(log.append_new(item) for item in items))
    again = await asyncio.gather(*(log.append_new(item) for item in items[::2]))
    assert first == [[True]] * 40
    assert again == [[False]] * 20
    assert await log.backlog() == 40
    assert log._together.rounds <= 3  # the first may load the script: it is sent again


async def test_an_append_after_the_scripts_were_flushed_still_lands(
    real_redis: Redis, prefix: str
) -> None:
    log = InboundLog(real_redis, Keys(prefix), shards=2)
    assert await log.append_new([(0, "m:wamid.a", "{}")]) == [True]
    await real_redis.script_flush()  # as after a restart of a Redis without persistence
    answers = await asyncio.gather(
        log.append_new([(0, "m:wamid.b", "{}")]), log.append_new([(1, "m:wamid.a", "{}")])
    )
    assert answers == [[True], [True]]  # shard 1 dedupes apart from shard 0
    assert await log.backlog() == 3


async def test_one_callers_refusal_is_its_own(store: Redis, prefix: str) -> None:
    together = AutoPipeline(store)
    await store.set(f"{prefix}text", "not a number")

    def incr(key: str, pipe: Pipe) -> None:
        pipe.incr(key)

    good = together.run([functools.partial(incr, f"{prefix}a")])
    bad = together.run(
        [functools.partial(incr, f"{prefix}b"), functools.partial(incr, f"{prefix}text")]
    )
    also = together.run([functools.partial(incr, f"{prefix}a")])
    results = await asyncio.gather(good, bad, also, return_exceptions=True)
    assert results[0] == [1] and results[2] == [2]
    assert isinstance(results[1], ResponseError)
    assert together.rounds == 1


async def test_an_unreachable_store_fails_every_caller_of_the_round() -> None:
    redis = Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5)
    together = AutoPipeline(redis)

    def ping(pipe: Pipe) -> None:
        pipe.ping()

    results = await asyncio.gather(
        together.run([ping]), together.run([ping]), return_exceptions=True
    )
    assert all(isinstance(result, RedisConnectionError) for result in results)
    with pytest.raises(RedisConnectionError):
        await together.run([ping])
    await redis.aclose()
