"""With Redis stalled (paused, not closed), a SIGTERM's drain never ended: the process
stayed up as long as Redis did not answer, and ``GET /metrics`` answered nothing at all,
so Prometheus lost every counter, those that would show the outage too. The stop's every
step has a bound now, and /metrics answers its meters without the store's gauges when
the store does not answer in 2 s."""

from __future__ import annotations

import asyncio
import os
import signal
import time

import pytest
from redis.asyncio import Redis

from tests.conftest import PHONE_NUMBER_ID, BotFactory
from tests.emulators import meta_webhooks as meta
from tests.test_shard_workers_store_outage import private_redis

__all__ = ["private_redis"]

pytestmark = pytest.mark.slow


async def test_metrics_and_the_stop_end_while_redis_is_stalled(
    private_redis: tuple[Redis, str], make_bot: BotFactory
) -> None:
    admin, url = private_redis
    bot = await make_bot(redis_url=url)
    assert bot.graph is not None
    await bot.post_whatsapp(meta.text_message(PHONE_NUMBER_ID, "447911000104", "hi"))
    await bot.graph.wait_for_sent(1)
    pid = int((await admin.info("server"))["process_id"])
    os.kill(pid, signal.SIGSTOP)
    try:
        async with asyncio.timeout(10):
            response = await bot.client.get("/metrics")
        assert response.status == 200
        assert "switchboard_" in await response.text()
        started = time.monotonic()
        async with asyncio.timeout(90):
            await bot.stop()
        assert time.monotonic() - started < 60
    finally:
        os.kill(pid, signal.SIGCONT)
