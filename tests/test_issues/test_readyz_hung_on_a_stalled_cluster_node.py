"""On a Redis Cluster, /readyz pinged one node within its 2 s, then read the numbers'
services without a deadline: with the node that holds them paused (its host stalled),
/readyz hung for as long, then said ``"ok": true``. The whole check has its 2 s now."""

from __future__ import annotations

import asyncio
import os
import signal

from redis.asyncio.cluster import RedisCluster

from stores.redis import Keys
from tests.conftest import PHONE_NUMBER_ID, BotFactory
from tests.rediscluster import local_cluster


async def test_readyz_says_not_ready_in_time_when_a_node_stalls(
    make_bot: BotFactory, prefix: str
) -> None:
    async with local_cluster() as cluster:
        url = cluster.url.replace("redis://", "redis+cluster://", 1)
        bot = await make_bot(redis_url=url)
        redis = bot.runtime.redis
        assert isinstance(redis, RedisCluster)
        stalled = cluster.port_of(Keys(prefix).attached(f"wa:{PHONE_NUMBER_ID}"))
        # The ping goes to a node that answers; the services are on the stalled one.
        redis.set_default_node(next(n for n in redis.get_primaries() if n.port != stalled))
        pid = cluster.pids[cluster.ports.index(stalled)]
        assert (await bot.client.get("/readyz")).status == 200
        os.kill(pid, signal.SIGSTOP)
        try:
            async with asyncio.timeout(6):
                ready = await bot.client.get("/readyz")
            assert ready.status == 503
        finally:
            os.kill(pid, signal.SIGCONT)
        await bot.stop()
