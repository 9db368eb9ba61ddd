"""The stitching suite on a local 3-node Redis Cluster (PS-8): no step crosses a slot."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from redis.asyncio.cluster import RedisCluster

from bot.model import Identity
from stores.profiles import ProfileStore
from stores.redis import Keys
from tests import rediscluster
from tests import test_stitching as suite
from tests.rediscluster import LocalCluster

redis_cluster_nodes = rediscluster.redis_cluster_nodes
redis_cluster = rediscluster.redis_cluster

CASES = rediscluster.store_cases(suite)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.__name__[5:])
async def test_stitching_suite_on_a_cluster(
    case: Callable[..., Awaitable[Any]], redis_cluster: RedisCluster, prefix: str
) -> None:
    await case(redis_cluster, prefix)


async def test_one_person_spreads_over_the_nodes_and_still_resolves(
    redis_cluster: RedisCluster, redis_cluster_nodes: LocalCluster, prefix: str
) -> None:
    keys = Keys(prefix)
    graph = ProfileStore(redis_cluster, keys)
    people = [
        [
            Identity("email", f"p{n}@example.com"),
            Identity("tg", str(100 + n)),
            Identity("vid", f"v{n}"),
        ]
        for n in range(12)
    ]
    made = [
        await graph.resolve(ids[:1], channel="web", at=1000 + n) for n, ids in enumerate(people)
    ]
    # The other identities arrive from another channel, then a sighting ties them.
    for n, ids in enumerate(people):
        await graph.resolve(ids[1:], channel="telegram", at=2000 + n)
        await graph.resolve(ids, channel="telegram", at=3000 + n)
    index_nodes = {redis_cluster_nodes.port_of(keys.identity(i)) for ids in people for i in ids}
    profile_nodes = {redis_cluster_nodes.port_of(keys.profile(p)) for p in made}
    assert len(index_nodes) == 3 and len(profile_nodes) > 1
    for profile_id, ids in zip(made, people, strict=True):
        assert {await graph.lookup(i) for i in ids} == {profile_id}
