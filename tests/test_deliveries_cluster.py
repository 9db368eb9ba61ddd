"""The delivery queues' contract suite on a local 3-node Redis Cluster (PS-8): one round
trip over many services' queues spans the nodes, and no step crosses a slot."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from redis.asyncio.cluster import RedisCluster

from stores.deliveries import DeliveryQueue, Outcomes
from stores.redis import Keys
from tests import rediscluster
from tests import test_stores_deliveries as suite
from tests.rediscluster import LocalCluster

redis_cluster_nodes = rediscluster.redis_cluster_nodes
redis_cluster = rediscluster.redis_cluster

CASES = rediscluster.store_cases(suite)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.__name__[5:])
async def test_delivery_suite_on_a_cluster(
    case: Callable[..., Awaitable[Any]], redis_cluster: RedisCluster, prefix: str
) -> None:
    await case(redis_cluster, prefix)


async def test_one_round_trip_reads_services_on_every_node(
    redis_cluster: RedisCluster, redis_cluster_nodes: LocalCluster, prefix: str
) -> None:
    keys = Keys(prefix)
    queue = DeliveryQueue(redis_cluster, keys)
    services = [f"svc{n}" for n in range(12)]
    assert {redis_cluster_nodes.port_of(keys.fanout(s)) for s in services} == set(
        redis_cluster_nodes.ports
    )
    for service in services:
        await queue.ensure_group(service)
    await queue.add([(s, '{"id":"evt_1"}', "evt_1") for s in services], 1.0)

    taken = await queue.exchange({}, dict.fromkeys(services, 10), "worker-a")

    assert taken.failed == {}
    assert sorted(taken.deliveries) == sorted(services)
    done = {s: Outcomes(done=[d.entry_id for d in found]) for s, found in taken.deliveries.items()}
    assert (await queue.exchange(done, {}, "worker-a")).failed == {}
    assert [await queue.pending(s) for s in services] == [0] * len(services)
