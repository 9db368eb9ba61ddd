"""A Redis Cluster whose nodes came back empty, their slots not yet assigned again (the
whole cluster restarted without its files, before ``redis-cli --cluster create``), was
taken for a bug: redis-py raises a bare ``RedisClusterException`` ("All slots are not
covered"), which is no ``RedisError``, so every part of the bot logged a traceback as an
ERROR each time it tried again, where an unreachable Redis is one line of the store's
fault. The cluster client now raises a ``ConnectionError`` for it, as for a cluster that
does not answer.
"""

from __future__ import annotations

from stores.redis import StoreClient, StoreError, connect, is_store_fault
from tests.rediscluster import local_cluster


async def test_a_cluster_that_serves_no_slot_is_the_stores_fault(prefix: str) -> None:
    async with local_cluster() as cluster:
        redis = connect(cluster.url.replace("redis://", "redis+cluster://", 1))
        store = StoreClient(redis)
        try:
            await redis.set(f"{prefix}{{a}}:x", "1")
            await cluster.flushall()
            for port in cluster.ports:  # each node forgets the others and its slots
                await cluster.node(port).execute_command("CLUSTER", "RESET", "HARD")
            try:
                await redis.get(f"{prefix}{{a}}:x")
            except StoreError as error:
                assert is_store_fault(error)
            else:
                raise AssertionError("a cluster that serves no slot answered")
            try:
                async with store.batch() as pipe:
                    pipe.incr(f"{prefix}{{a}}:x")
                    pipe.incr(f"{prefix}{{b}}:x")
            except StoreError as error:
                assert is_store_fault(error)
            else:
                raise AssertionError("a cluster that serves no slot answered")
        finally:
            await store.close()
