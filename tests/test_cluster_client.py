"""The cluster client ``stores.redis.connect`` builds for ``redis+cluster://``: bounded like
the plain client's pool, so a burst waits for connections instead of failing."""

from __future__ import annotations

import asyncio

from redis.asyncio.cluster import RedisCluster

from stores.redis import MAX_CONNECTIONS, StoreClient, connect
from tests import rediscluster
from tests.rediscluster import LocalCluster

redis_cluster_nodes = rediscluster.redis_cluster_nodes
redis_cluster = rediscluster.redis_cluster

BURST = 5 * MAX_CONNECTIONS


async def test_a_burst_waits_for_connections_instead_of_failing(
    redis_cluster_nodes: LocalCluster, redis_cluster: RedisCluster, prefix: str
) -> None:
    redis = connect(redis_cluster_nodes.url.replace("redis://", "redis+cluster://", 1))
    store = StoreClient(redis)
    key = f"{prefix}{{burst}}:counter"
    try:

        async def one_command() -> None:
            await redis.incr(key)

        async def one_batch() -> None:
            async with store.batch() as pipe:
                pipe.incr(key)
                pipe.incr(f"{prefix}{{other}}:counter")

        # Every command of the burst goes to one node, more at once than it may connect.
        await asyncio.gather(*(one_command() for _ in range(BURST)))
        await asyncio.gather(*(one_batch() for _ in range(BURST)))
        assert await redis_cluster.get(key) == str(2 * BURST)
        assert await redis_cluster.get(f"{prefix}{{other}}:counter") == str(BURST)
        for node in redis.get_primaries():  # type: ignore[attr-defined]
            assert len(node._connections) <= MAX_CONNECTIONS
    finally:
        await store.close()
