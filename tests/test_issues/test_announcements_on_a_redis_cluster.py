"""Regression: on a Redis Cluster, defining or attaching a service, and queueing events
from the command line, failed with "Calling pipelined function publish is blocked when
running redis in cluster mode": the announcement to the couriers rode a pipeline, whose
``publish`` method redis-py's cluster pipeline refuses. The command itself is fine there.
"""

from __future__ import annotations

import asyncio
import contextlib

from bot.model import Service
from stores.deliveries import DeliveryQueue
from stores.redis import Keys, connect
from stores.services import ServiceStore
from tests import rediscluster
from tests.rediscluster import LocalCluster

redis_cluster_nodes = rediscluster.redis_cluster_nodes


async def test_service_changes_are_announced_on_a_cluster(
    redis_cluster_nodes: LocalCluster, prefix: str
) -> None:
    redis = connect(redis_cluster_nodes.url.replace("redis://", "redis+cluster://", 1))
    keys = Keys(prefix)
    heard = asyncio.Event()
    ready = asyncio.Event()
    queue = DeliveryQueue(redis, keys)
    listening = asyncio.create_task(queue.listen(heard.set, ready))
    try:
        await asyncio.wait_for(ready.wait(), 10)
        services = ServiceStore(redis, keys)
        await services.save(Service("crm", "http://127.0.0.1:9/h", "secret-of-the-test"))
        await asyncio.wait_for(heard.wait(), 10)
        heard.clear()
        await services.attach("15550001111", "crm")
        await asyncio.wait_for(heard.wait(), 10)
        heard.clear()
        async with redis.pipeline(transaction=False) as pipe:
            queue.queue(pipe, "crm", '{"id": "evt_1"}', 1.0, "evt_1")
            queue.queue_announce(pipe)
            await pipe.execute()
        await asyncio.wait_for(heard.wait(), 10)
    finally:
        listening.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await listening
        async for key in redis.scan_iter(match=f"{prefix}*"):
            await redis.delete(key)
        await redis.aclose()
