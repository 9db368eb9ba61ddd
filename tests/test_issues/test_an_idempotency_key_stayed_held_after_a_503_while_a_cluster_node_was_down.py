"""While one node of a Redis Cluster was down (a failover's first seconds), a request with
an ``Idempotency-Key`` answered 503, and its retries under the same key answered 409 ("still
being processed") for two minutes, though the docs say a 5xx is not kept.

The key was let go by a Lua script run for the first time in the process: it was loaded
with SCRIPT LOAD, which a cluster client sends to every node, so it failed with the one
node down, though the key's own node answered. Every script's first use in a process (the
ingest's, a claim's) failed alike. A script a node lacks is run there by EVAL now, which
asks that node alone.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from stores.idempotency import IdempotencyStore
from stores.redis import Keys, connect
from tests import rediscluster
from tests.rediscluster import LocalCluster

NODE_TIMEOUT_MS = 30_000
"""Long enough that the other nodes never fail the stopped node's slots in the test."""


@pytest.fixture
def cluster() -> Iterator[LocalCluster]:
    with rediscluster.running_cluster(node_timeout_ms=NODE_TIMEOUT_MS) as running:
        yield running


async def test_a_key_is_let_go_while_another_node_is_down(
    cluster: LocalCluster, prefix: str
) -> None:
    redis = connect(cluster.url.replace("redis://", "redis+cluster://", 1))
    store = IdempotencyStore(redis, Keys(prefix))
    try:
        held = await store.begin("support", "reply-1", "fingerprint")
        assert held.outcome == "new"
        key_node = cluster.port_of(store._key("support", "reply-1"))
        down = next(port for port in cluster.ports if port != key_node)
        cluster.kill(down)
        try:
            # The request failed on the node that is down (a 503): its key is let go.
            assert await store.release("support", "reply-1", "fingerprint")
            retried = await store.begin("support", "reply-1", "fingerprint")
            assert retried.outcome == "new"  # not "in_flight", a 409 for two minutes
        finally:
            cluster.start_again(down)
    finally:
        await redis.aclose()
