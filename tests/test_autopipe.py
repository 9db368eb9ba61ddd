"""Concurrent appends, and pipelines sent in one turn, share round trips, and each caller
still gets its own answers and errors."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable

import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError

from stores.autopipe import AutoPipeline
from stores.pipeline import after_sent, ride
from stores.redis import Keys, Pipe, StoreClient, connect
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


async def test_pipelines_sent_in_one_turn_share_a_round_trip(store: Redis, prefix: str) -> None:
    together = AutoPipeline(store)
    await store.set(f"{prefix}text", "not a number")

    async def send(key: str, raise_on_error: bool = True) -> list[object]:
        async with together.pipeline() as pipe:
            pipe.set(key, "1").incr(key).incr(f"{prefix}text").get(key)
            return await pipe.execute(raise_on_error=raise_on_error)

    async def incr(key: str) -> list[object]:
        async with together.pipeline() as pipe:
            pipe.incr(key).incr(key)
            return await pipe.execute()

    results = await asyncio.gather(
        incr(f"{prefix}a"),
        send(f"{prefix}b"),
        send(f"{prefix}c", False),
        incr(f"{prefix}a"),
        return_exceptions=True,
    )
    assert results[0] == [1, 2] and results[3] == [3, 4]  # each its own answers, in order
    refused = results[1]
    assert isinstance(refused, ResponseError)  # its own, with its place in its own pipeline
    assert str(refused).startswith("Command # 3 (INCRBY ")
    kept = results[2]
    assert isinstance(kept, list) and kept[:2] == [True, 2] and kept[3] == "2"
    assert isinstance(kept[2], ResponseError)
    assert together.rounds == 1
    assert await store.get(f"{prefix}b") == "2"  # the refused caller's writes before it landed


@pytest.mark.parametrize("embedded", [False, True])
async def test_a_joining_pipeline_takes_its_riders_and_hooks_along(
    embedded: bool, redis_url: str, prefix: str
) -> None:
    store = connect(None if embedded else redis_url)  # the client the runtime uses
    together = AutoPipeline(store)
    key = f"{prefix}ridden"
    given: list[object] = []
    told: list[int] = []

    def rider(pipe: Pipe) -> Callable[[object], None]:
        pipe.get(key)
        return given.append

    async with together.pipeline() as pipe:
        pipe.set(key, "landed")
        ride(pipe, rider)
        after_sent(pipe, lambda: told.append(len(given)))
        assert await pipe.execute() == [True]
    assert given == [["landed"]]  # after the caller's write, on its round trip
    assert told == [1]  # once sent, after the rider had its answers
    await store.delete(key)
    await store.aclose()


async def test_with_a_client_that_takes_no_riders_none_ride(store: Redis, prefix: str) -> None:
    together = AutoPipeline(store)
    if together.riding:
        pytest.skip("on the cluster the store is the runtime's client, whose pipelines take them")
    async with together.pipeline() as pipe:
        assert not ride(pipe, lambda pipe: lambda answers: None)
        pipe.set(f"{prefix}plain", "sent")
        assert await pipe.execute() == [True]


async def test_a_pipeline_cancelled_before_its_turn_sends_nothing(
    store: Redis, prefix: str
) -> None:
    together = AutoPipeline(store)

    async def write(key: str) -> list[object]:
        async with together.pipeline() as pipe:
            pipe.set(key, "sent")
            return await pipe.execute()

    cancelled = asyncio.ensure_future(write(f"{prefix}never"))
    kept = asyncio.ensure_future(write(f"{prefix}kept"))
    await asyncio.sleep(0)  # both wait for the turn's round trip
    cancelled.cancel()
    assert await kept == [True]
    assert cancelled.cancelled()
    assert await store.get(f"{prefix}never") is None
    assert await store.get(f"{prefix}kept") == "sent"


async def test_the_stores_round_trips_of_one_turn_go_out_as_one(store: Redis, prefix: str) -> None:
    client = StoreClient(store)

    async def write(key: str) -> None:
        async with client.batch() as pipe:
            pipe.set(key, "written")

    async def read(key: str) -> list[object]:
        async with client.round_trip() as pipe:
            pipe.incr(key)
            return await pipe.execute()

    written = [f"{prefix}w{n}" for n in range(5)]
    answers = await asyncio.gather(*(write(key) for key in written), read(f"{prefix}n"))
    assert answers[-1] == [1]
    assert client.together.rounds == 1
    assert [await store.get(key) for key in written] == ["written"] * 5


async def test_a_joining_pipeline_is_no_transaction(store: Redis, prefix: str) -> None:
    pipe = AutoPipeline(store).pipeline()
    with pytest.raises(TypeError, match="not a transaction"):
        pipe.multi()
    with pytest.raises(TypeError, match="not a transaction"):
        await pipe.watch(f"{prefix}watched")
    await pipe.reset()
