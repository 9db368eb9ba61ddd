"""A wrong REDIS_URL for a Redis Cluster crashed the start with a traceback and exit 1:
``redis+cluster://…/1`` (a cluster has database 0 alone), or ``redis://`` naming a
cluster node, whose first key on another node's slot was MOVED (keys on its own slots
written before). Each is one line naming REDIS_URL now, before any write."""

from __future__ import annotations

import pytest
from redis.asyncio.cluster import RedisCluster

from bot.config.settings import ConfigError, Settings, load_settings
from bot.runtime import Runtime
from tests import rediscluster
from tests.rediscluster import LocalCluster

redis_cluster_nodes = rediscluster.redis_cluster_nodes
redis_cluster = rediscluster.redis_cluster


def test_a_cluster_url_with_a_database_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"REDIS_URL.*database 0 alone: leave the /N off"):
        load_settings({"REDIS_URL": "redis+cluster://10.0.0.5:7000/1"})
    load_settings({"REDIS_URL": "redis+cluster://10.0.0.5:7000/0"})


async def test_a_cluster_node_named_as_one_redis_stops_the_start(
    redis_cluster_nodes: LocalCluster, redis_cluster: RedisCluster, prefix: str
) -> None:
    runtime = Runtime(Settings(redis_url=redis_cluster_nodes.url, key_prefix=prefix, shards=4))
    try:
        with pytest.raises(ConfigError, match="this is a node of a Redis Cluster: name it"):
            await runtime.start()
    finally:
        await runtime.stop()
    assert not [key async for key in redis_cluster.scan_iter(f"{prefix}*")]
