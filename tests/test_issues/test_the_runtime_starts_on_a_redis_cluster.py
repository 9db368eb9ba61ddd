"""Regression: the runtime could not start on a Redis Cluster.

It only ever built a plain client, so on a cluster its first command on a key served by
another node failed: ``MovedError`` on ``SET sb:secret:links``. A ``redis+cluster://``
(or ``rediss+cluster://``) URL now builds a cluster client, which sends each command to
the node of its key's slot.
"""

from __future__ import annotations

import pytest
from redis.asyncio.cluster import RedisCluster

from bot.config.settings import Settings
from bot.runtime import Runtime
from stores.cluster import cluster_node_url
from stores.redis import Keys
from tests import rediscluster
from tests.rediscluster import LocalCluster

redis_cluster_nodes = rediscluster.redis_cluster_nodes
redis_cluster = rediscluster.redis_cluster


@pytest.mark.parametrize(
    ("url", "node"),
    [
        ("redis+cluster://10.0.0.5:7000", "redis://10.0.0.5:7000"),
        ("rediss+cluster://user:pw@cache.example:6380/0", "rediss://user:pw@cache.example:6380/0"),
        ("REDIS+CLUSTER://10.0.0.5:7000", "redis://10.0.0.5:7000"),
        ("redis://127.0.0.1:6379/0", None),
        ("rediss://cache.example:6380", None),
        ("unix:///run/redis.sock", None),
    ],
)
def test_a_cluster_is_named_by_its_url_scheme(url: str, node: str | None) -> None:
    assert cluster_node_url(url) == node


async def test_the_runtime_starts_and_stops_on_a_cluster(
    redis_cluster_nodes: LocalCluster, redis_cluster: RedisCluster, prefix: str
) -> None:
    url = redis_cluster_nodes.url.replace("redis://", "redis+cluster://", 1)
    keys = Keys(prefix)
    # The secret's key and the shards' streams lie on different nodes.
    nodes = {redis_cluster_nodes.port_of(keys.secret("links"))}
    nodes |= {redis_cluster_nodes.port_of(keys.inbound(shard)) for shard in range(4)}
    assert len(nodes) > 1
    runtime = Runtime(Settings(redis_url=url, key_prefix=prefix, shards=4))
    try:
        await runtime.start()
        assert isinstance(runtime.redis, RedisCluster)
        assert runtime.store_kind == "redis"
        assert await redis_cluster.get(keys.secret("links"))
        for shard in range(4):
            assert await redis_cluster.exists(keys.inbound(shard))
    finally:
        await runtime.stop()
