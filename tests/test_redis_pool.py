"""The client's pool (``stores.pool.QuickPool``) as its callers see it: a free connection
at once, a wait (never an error) when all are taken, a closed one opened again (a reply
left unread: tests/test_issues/test_a_reply_nobody_read_is_never_the_next_callers_answer.py)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from stores.pool import QuickPool
from stores.redis import CountingConnection
from tests.test_notifications import until


@pytest.fixture
async def small(redis_url: str) -> AsyncIterator[tuple[Redis, QuickPool]]:
    if "cluster" in redis_url:
        pytest.skip("a cluster client keeps a pool per node of its own")
    pool = QuickPool.from_url(
        redis_url,
        max_connections=2,
        timeout=30,
        decode_responses=True,
        connection_class=CountingConnection,
    )
    client: Redis = Redis.from_pool(pool)
    yield client, pool
    await client.aclose()


async def test_callers_beyond_the_pool_wait_their_turn_and_all_get_answers(
    small: tuple[Redis, QuickPool], prefix: str, redis_url: str
) -> None:
    client, pool = small
    key = f"{prefix}list"
    # Two blocking pops hold both connections until another client's push wakes them;
    # the 40 commands sent meanwhile wait for a connection instead of failing.
    pops = [asyncio.create_task(client.blpop([key], timeout=10)) for _ in range(2)]
    await until(lambda: len(pool._in_use_connections) == 2, 5)
    counts = [asyncio.create_task(client.incr(f"{prefix}n")) for _ in range(40)]
    await until(lambda: pool._waiting > 0, 5)
    async with Redis.from_url(redis_url, decode_responses=True) as other:
        await other.rpush(key, "a", "b")
    popped = await asyncio.gather(*pops)
    assert sorted(value for _, value in popped) == ["a", "b"]
    assert sorted(await asyncio.gather(*counts)) == list(range(1, 41))
    assert not pool._in_use_connections and pool._waiting == 0
    await client.delete(key, f"{prefix}n")


async def test_a_closed_connection_is_opened_again_on_checkout(
    small: tuple[Redis, QuickPool], prefix: str
) -> None:
    client, pool = small
    await client.set(f"{prefix}k", "v")
    connection = await pool.get_connection()
    await connection.disconnect()
    await pool.release(connection)
    assert await client.get(f"{prefix}k") == "v"
    await client.delete(f"{prefix}k")
