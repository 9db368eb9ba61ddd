"""Regression: a Redis Cluster none of whose nodes answered was taken for a fault of the work.

redis-py raises ``RedisClusterException`` ("Redis Cluster cannot be connected"), which is
no ``RedisError``, when no node of a cluster answers: the shard workers counted it as a
failed attempt of the entry in hand (and would have set the entry aside as dead), where
an unreachable single Redis is the store's fault and the work is only redone. The cluster
client now raises a ``ConnectionError``, as an unreachable Redis does.
"""

from __future__ import annotations

import asyncio

import pytest

from stores.redis import StoreClient, StoreError, connect, is_store_fault
from tests.rediscluster import local_cluster


async def test_a_cluster_that_went_away_is_the_stores_fault(prefix: str) -> None:
    async with local_cluster() as cluster:
        redis = connect(cluster.url.replace("redis://", "redis+cluster://", 1))
        store = StoreClient(redis)
        await redis.set(f"{prefix}{{a}}:x", "1")
        await asyncio.to_thread(cluster.stop)
        try:
            with pytest.raises(StoreError) as command:
                await redis.get(f"{prefix}{{b}}:x")
            assert is_store_fault(command.value)
            with pytest.raises(StoreError) as batch:
                async with store.batch() as pipe:
                    pipe.incr(f"{prefix}{{a}}:x")
                    pipe.incr(f"{prefix}{{b}}:x")
            assert is_store_fault(batch.value)
        finally:
            await store.close()


async def test_a_cluster_never_reached_is_the_stores_fault(prefix: str) -> None:
    async with local_cluster() as cluster:
        url = cluster.url.replace("redis://", "redis+cluster://", 1)
        await asyncio.to_thread(cluster.stop)
    redis = connect(url)
    try:
        with pytest.raises(StoreError) as command:
            await redis.get(f"{prefix}{{a}}:x")
        assert is_store_fault(command.value)
    finally:
        await redis.aclose()
