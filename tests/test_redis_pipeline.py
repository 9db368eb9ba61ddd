"""The client's pipelines (``stores.pipeline.QuickPipeline``) as the stores see them: the
same answers as redis-py's pipeline, errors in the same places with the same wording,
the connection back in the pool after every round trip, a cut connection tried again,
and transactions left to redis-py; the hooks of ``after_sent`` and the riders of
``ride``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError

from stores.pipeline import QuickPipeline, after_sent, ride, when_whole
from stores.pool import QuickPool
from stores.redis import connect, is_store_fault
from tests.test_notifications import until


@pytest.fixture
async def client(redis_url: str, prefix: str) -> AsyncIterator[Redis]:
    if "cluster" in redis_url:
        pytest.skip("a cluster client sends its pipelines by node, through redis-py's own")
    redis = connect(redis_url)
    yield redis
    keys = [key async for key in redis.scan_iter(match=f"{prefix}*")]
    if keys:
        await redis.delete(*keys)
    await redis.aclose()


def _pool(redis: Redis) -> QuickPool:
    pool = redis.connection_pool
    assert isinstance(pool, QuickPool)
    return pool


def _queue_mixed(pipe: object, prefix: str) -> None:
    """Commands whose answers redis-py parses each its own way."""
    pipe.set(f"{prefix}s", "v")  # type: ignore[attr-defined]
    pipe.get(f"{prefix}s")  # type: ignore[attr-defined]
    pipe.hset(f"{prefix}h", mapping={"a": "1", "b": "2"})  # type: ignore[attr-defined]
    pipe.hgetall(f"{prefix}h")  # type: ignore[attr-defined]
    pipe.xadd(f"{prefix}x", {"f": "v"}, id="1-1")  # type: ignore[attr-defined]
    pipe.xrange(f"{prefix}x")  # type: ignore[attr-defined]
    pipe.zadd(f"{prefix}z", {"m": 1.5})  # type: ignore[attr-defined]
    pipe.zrange(f"{prefix}z", 0, -1, withscores=True)  # type: ignore[attr-defined]
    pipe.exists(f"{prefix}none")  # type: ignore[attr-defined]


async def _only_connection(client: Redis) -> int:
    """The id of the pool's one connection, once a round trip has opened it."""
    async with client.pipeline(transaction=False) as pipe:
        await pipe.ping().execute()
    return int(await client.client_id())


def _beside(client: Redis) -> Redis:
    """Another client of the same Redis, to watch and cut ``client``'s connections."""
    kwargs = client.connection_pool.connection_kwargs
    return Redis.from_url(f"redis://{kwargs['host']}:{kwargs['port']}", decode_responses=True)


async def _both_ways(
    client: Redis, redis_url: str, prefix: str, queue: Callable[[object, str], None]
) -> tuple[list[Any], list[Any]]:
    """The answers of the commands ``queue`` queues, through the client's pipeline, then
    through redis-py's own on a plain client, each on keys of its own."""
    async with client.pipeline(transaction=False) as pipe:
        assert isinstance(pipe, QuickPipeline)
        queue(pipe, f"{prefix}quick:")
        quick = await pipe.execute()
    async with Redis.from_url(redis_url, decode_responses=True) as plain:
        async with plain.pipeline(transaction=False) as pipe:
            queue(pipe, f"{prefix}plain:")
            expected = await pipe.execute()
        await plain.delete(*[key async for key in plain.scan_iter(match=f"{prefix}plain:*")])
    return quick, expected


async def test_answers_are_those_of_redis_pys_pipeline(
    client: Redis, redis_url: str, prefix: str
) -> None:
    quick, expected = await _both_ways(client, redis_url, prefix, _queue_mixed)
    assert quick == expected
    assert quick[3] == {"a": "1", "b": "2"} and quick[7] == [("m", 1.5)]
    assert not _pool(client)._in_use_connections


async def test_an_empty_pipeline_sends_nothing(client: Redis) -> None:
    async with client.pipeline(transaction=False) as pipe:
        assert await pipe.execute() == []
    assert not _pool(client)._in_use_connections


async def test_a_refused_command_is_raised_with_its_place_or_returned_in_it(
    client: Redis, prefix: str
) -> None:
    await client.set(f"{prefix}text", "not a number")
    async with client.pipeline(transaction=False) as pipe:
        pipe.set(f"{prefix}a", "1").incr(f"{prefix}text").get(f"{prefix}a")
        with pytest.raises(ResponseError, match=r"Command # 2 \(INCRBY .*\) of pipeline"):
            await pipe.execute()
    # Every reply was read: the next round trip gets its own answers.
    assert await client.get(f"{prefix}a") == "1"
    async with client.pipeline(transaction=False) as pipe:
        pipe.incr(f"{prefix}text").get(f"{prefix}a")
        refused, value = await pipe.execute(raise_on_error=False)
    assert isinstance(refused, ResponseError) and value == "1"
    assert not is_store_fault(refused)
    assert not _pool(client)._in_use_connections


async def test_a_connection_cut_between_round_trips_is_tried_again(
    client: Redis, prefix: str
) -> None:
    cut = await _only_connection(client)
    async with _beside(client) as other:
        await other.client_kill_filter(_id=cut)
    async with client.pipeline(transaction=False) as pipe:
        pipe.set(f"{prefix}after", "cut").get(f"{prefix}after")
        assert await pipe.execute() == [True, "cut"]
    assert not _pool(client)._in_use_connections


async def test_transactions_and_watches_take_redis_pys_way(client: Redis, prefix: str) -> None:
    async with client.pipeline(transaction=True) as pipe:
        pipe.incr(f"{prefix}n").incr(f"{prefix}n")
        assert await pipe.execute() == [1, 2]
    async with client.pipeline(transaction=True) as pipe:
        await pipe.watch(f"{prefix}n")
        value = int(await pipe.get(f"{prefix}n"))
        pipe.multi()
        pipe.set(f"{prefix}n", value * 10)
        assert await pipe.execute() == [True]
    assert await client.get(f"{prefix}n") == "20"
    assert not _pool(client)._in_use_connections


async def test_many_callers_on_a_small_pool_all_get_their_answers(
    redis_url: str, prefix: str
) -> None:
    if "cluster" in redis_url:
        pytest.skip("a cluster client sends its pipelines by node, through redis-py's own")
    redis = connect(redis_url)
    pool = _pool(redis)
    pool.max_connections = 2
    # A blocking pop holds one connection, so the pipelines queue for the other and
    # hand it on to each other through redis-py's release.

    async def one(n: int) -> list[object]:
        async with redis.pipeline(transaction=False) as pipe:
            pipe.set(f"{prefix}k{n}", n).get(f"{prefix}k{n}")
            return await pipe.execute()

    pop = asyncio.create_task(redis.blpop([f"{prefix}list"], timeout=10))
    await until(lambda: len(pool._in_use_connections) == 1, 5)
    answers = await asyncio.gather(*(one(n) for n in range(50)))
    assert answers == [[True, str(n)] for n in range(50)]
    await redis.rpush(f"{prefix}list", "x")
    assert await pop == (f"{prefix}list", "x")
    assert not pool._in_use_connections and pool._waiting == 0
    await redis.delete(*[f"{prefix}k{n}" for n in range(50)])
    await redis.aclose()


async def test_a_pipeline_cancelled_while_waiting_leaves_no_answer_for_the_next(
    client: Redis, prefix: str
) -> None:
    await client.mset({f"{prefix}stale": "the cancelled one's", f"{prefix}fresh": "mine"})

    async def cancelled() -> None:
        async with client.pipeline(transaction=False) as pipe:
            pipe.blpop([f"{prefix}never"], timeout=1).get(f"{prefix}stale")
            await pipe.execute()

    task = asyncio.create_task(cancelled())
    await until(lambda: _pool(client)._in_use_connections, 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await client.get(f"{prefix}fresh") == "mine"
    async with client.pipeline(transaction=False) as pipe:
        assert await pipe.get(f"{prefix}fresh").execute() == ["mine"]


async def test_replies_longer_than_a_read_come_whole_and_in_order(
    client: Redis, redis_url: str, prefix: str
) -> None:
    big = "x" * (1 << 20)  # 1 MiB: many reads of the socket for one reply

    def queue(pipe: object, at: str) -> None:
        pipe.set(f"{at}big", big)  # type: ignore[attr-defined]
        for n in range(2000):
            pipe.get(f"{at}big" if n % 500 == 0 else f"{at}none")  # type: ignore[attr-defined]
        pipe.mget([])  # type: ignore[attr-defined]  # refused by Redis; redis-py answers []
        pipe.hgetall(f"{at}none")  # type: ignore[attr-defined]

    quick, expected = await _both_ways(client, redis_url, prefix, queue)
    assert quick == expected
    assert quick[1] == big and quick[2] is None and quick[-2:] == [[], {}]


async def test_a_connection_cut_while_its_replies_are_read_is_tried_again(
    client: Redis, prefix: str
) -> None:
    cut = await _only_connection(client)

    async def blocked() -> list[object]:
        async with client.pipeline(transaction=False) as pipe:
            pipe.set(f"{prefix}before", "1").blpop([f"{prefix}list"], timeout=10)
            return await pipe.execute()

    task = asyncio.create_task(blocked())
    async with _beside(client) as other:

        async def blocked_on(connection: str | None) -> bool:
            return any(
                c["cmd"] == "blpop" and connection in (None, c["id"])
                for c in await other.client_list()
            )

        await until(lambda: blocked_on(str(cut)), 5, "the pipeline to block")
        await other.client_kill_filter(_id=cut)
        # The pipeline goes again on a new connection, and blocks there till this comes.
        await until(lambda: blocked_on(None), 5, "the pipeline to be sent again")
        assert not task.done()
        await other.rpush(f"{prefix}list", "item")
    assert await task == [True, (f"{prefix}list", "item")]
    assert not _pool(client)._in_use_connections
    assert await client.get(f"{prefix}before") == "1"


@pytest.fixture(params=["redis", "embedded"])
async def any_client(request: pytest.FixtureRequest, redis_url: str) -> AsyncIterator[Redis]:
    """The client ``connect`` makes: for the URL the suite runs on (a cluster's too), and
    the embedded store."""
    redis = connect(redis_url if request.param == "redis" else None)
    yield redis
    await redis.aclose()


async def test_a_pipeline_tells_who_asked_once_it_is_sent(any_client: Redis, prefix: str) -> None:
    key = f"{prefix}hooked"
    seen: list[str | None] = []

    async def look() -> None:
        seen.append(await any_client.get(key))

    looks: list[asyncio.Task[None]] = []
    async with any_client.pipeline(transaction=False) as pipe:
        pipe.set(key, "landed")
        after_sent(pipe, lambda: looks.append(asyncio.ensure_future(look())))
        assert not looks  # queued, not sent
        await pipe.execute()
        assert len(looks) == 1
    await asyncio.gather(*looks)
    assert seen == ["landed"]  # told once the write was in Redis

    async with any_client.pipeline(transaction=False) as pipe:  # told once only
        pipe.get(key)
        await pipe.execute()
    assert len(looks) == 1
    await any_client.delete(key)


async def test_a_pipeline_with_a_failed_command_tells_too(any_client: Redis, prefix: str) -> None:
    key = f"{prefix}hooked-failed"
    told: list[int] = []
    async with any_client.pipeline(transaction=False) as pipe:
        pipe.set(key, "landed")
        pipe.hget(key, "field")  # WRONGTYPE
        after_sent(pipe, lambda: told.append(1))
        with pytest.raises(ResponseError, match="WRONGTYPE"):
            await pipe.execute()
    assert told == [1]  # the write before it landed
    assert await any_client.get(key) == "landed"
    await any_client.delete(key)


async def test_a_pipeline_given_back_unsent_tells_nobody(any_client: Redis, prefix: str) -> None:
    told: list[int] = []
    pipe = any_client.pipeline(transaction=False)
    pipe.set(f"{prefix}never", "sent")
    after_sent(pipe, lambda: told.append(1))
    await pipe.reset()  # the caller gave up: nothing went
    pipe.get(f"{prefix}never")
    assert await pipe.execute() == [None]
    assert told == []


class _Reader:
    """A rider that reads ``key`` after the caller's commands, and keeps what it was given."""

    def __init__(self, key: str, *commands: str) -> None:
        self.key = key
        self.commands = commands or ("GET",)
        self.given: list[list[Any] | BaseException] = []

    def __call__(self, pipe: Any) -> Callable[[list[Any] | BaseException], None]:
        for command in self.commands:
            pipe.execute_command(command, self.key)
        return self.given.append


async def test_a_rider_reads_after_the_callers_commands_on_their_round_trip(
    any_client: Redis, prefix: str
) -> None:
    key = f"{prefix}ridden"
    reader = _Reader(key, "GET", "STRLEN")
    async with any_client.pipeline(transaction=False) as pipe:
        pipe.set(key, "landed")
        pipe.get(key)
        assert ride(pipe, reader)
        assert reader.given == []  # queued when sent, not before
        assert await pipe.execute() == [True, "landed"]  # the caller's answers alone
    assert reader.given == [["landed", 6]]  # after the write, in the same round trip

    async with any_client.pipeline(transaction=False) as pipe:  # once only
        pipe.get(key)
        assert await pipe.execute() == ["landed"]
    assert len(reader.given) == 1
    await any_client.delete(key)


async def test_errors_stay_with_whoever_queued_the_command(any_client: Redis, prefix: str) -> None:
    key, text = f"{prefix}ridden-hash", f"{prefix}ridden-text"
    await any_client.set(text, "not a number")
    reader = _Reader(text, "HGET")  # WRONGTYPE: the rider's own failure
    async with any_client.pipeline(transaction=False) as pipe:
        pipe.hset(key, "a", "1")
        ride(pipe, reader)
        assert await pipe.execute() == [1]
    (answers,) = reader.given
    assert isinstance(answers, list) and isinstance(answers[0], ResponseError)

    reader = _Reader(key)
    async with any_client.pipeline(transaction=False) as pipe:
        pipe.hget(key, "a").incr(text)
        ride(pipe, reader)
        with pytest.raises(ResponseError, match=r"Command # 2 \(INCRBY .*\) of pipeline"):
            await pipe.execute()
    assert len(reader.given) == 1  # the write before it landed, and the rider had its turn
    async with any_client.pipeline(transaction=False) as pipe:
        pipe.incr(text).hget(key, "a")
        ride(pipe, _Reader(key, "HGET"))
        refused, value = await pipe.execute(raise_on_error=False)
    assert isinstance(refused, ResponseError) and value == "1"
    await any_client.delete(key, text)


async def test_a_rider_taking_only_whole_answers_is_given_nothing_else(
    any_client: Redis, prefix: str
) -> None:
    key, text = f"{prefix}whole", f"{prefix}whole-text"
    await any_client.set(text, "words")
    taken: list[list[Any]] = []

    def reads(*commands: tuple[str, str]) -> Callable[[Any], Any]:
        def rider(pipe: Any) -> Any:
            for command in commands:
                pipe.execute_command(*command)
            return when_whole(taken.append)

        return rider

    async with any_client.pipeline(transaction=False) as pipe:
        pipe.set(key, "1")
        ride(pipe, reads(("GET", key), ("STRLEN", text)))
        await pipe.execute()
    assert taken == [["1", 5]]
    async with any_client.pipeline(transaction=False) as pipe:
        pipe.get(key)
        ride(pipe, reads(("GET", key), ("HGET", text, "f")))  # WRONGTYPE: not whole
        assert await pipe.execute() == ["1"]
    assert taken == [["1", 5]]
    await any_client.delete(key, text)


async def test_a_round_trip_that_failed_hands_its_riders_the_error(prefix: str) -> None:
    unreachable = connect("redis://127.0.0.1:9/0")  # the discard port: nothing listens
    reader = _Reader(f"{prefix}never")
    try:
        async with unreachable.pipeline(transaction=False) as pipe:
            pipe.set(f"{prefix}never", "sent")
            ride(pipe, reader)
            with pytest.raises(RedisConnectionError):
                await pipe.execute()
    finally:
        await unreachable.aclose()
    (given,) = reader.given
    assert isinstance(given, RedisConnectionError)


async def test_a_transaction_or_a_pipeline_given_back_unsent_takes_no_rider(
    any_client: Redis, prefix: str
) -> None:
    reader = _Reader(f"{prefix}never")
    async with any_client.pipeline(transaction=True) as pipe:
        assert not ride(pipe, reader)  # its answers come as one: nothing can ride on them
        pipe.set(f"{prefix}never", "sent")
        await pipe.execute()
    pipe = any_client.pipeline(transaction=False)
    pipe.set(f"{prefix}never", "again")
    assert ride(pipe, reader)
    await pipe.reset()  # the caller gave up: nothing went, nothing rides
    pipe.get(f"{prefix}never")
    assert await pipe.execute() == ["sent"]
    assert reader.given == []
    await any_client.delete(f"{prefix}never")


async def test_a_rider_that_fails_to_queue_costs_the_caller_nothing(
    any_client: Redis, prefix: str
) -> None:
    key = f"{prefix}ridden-broken"
    reader = _Reader(key)

    def broken(pipe: Any) -> Callable[[list[Any] | BaseException], None]:
        pipe.get(key)  # queued, then it fails: answered to nobody
        raise RuntimeError("a rider's own bug")

    async with any_client.pipeline(transaction=False) as pipe:
        pipe.set(key, "landed")
        ride(pipe, broken)
        ride(pipe, reader)
        assert await pipe.execute() == [True]
    assert reader.given == [["landed"]]
    await any_client.delete(key)
