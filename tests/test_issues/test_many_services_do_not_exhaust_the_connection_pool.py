"""Attaching about 160 services exhausted the Redis connection pool.

Each attached service had a delivery loop of its own, whose blocking read of its queue
(XREADGROUP with BLOCK) held a pooled connection while it waited. Past the pool's 128
connections, webhooks, attach calls and ``GET /v1/numbers`` waited for a free connection
and, after 30 s, answered 503 ``No connection available``. The fan-out now reads every
service's queue from one reader per process, so its connections do not grow with the
services attached, and dead or stalled services still never hold up the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import tempfile
from collections.abc import AsyncIterator
from typing import Any

import pytest
from redis.asyncio import Redis

from bot.config.settings import DeliverySettings
from tests.botprocess import free_port
from tests.conftest import Bot, BotFactory
from tests.emulators import meta_webhooks as meta
from tests.emulators.sink import SubscriberSink
from tests.scrape import samples
from tests.test_api import Answer, call

pytestmark = pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server")

ADMIN = "admin-" + "q" * 32
SERVICES = 200
PROMPT = 5.0
"""Seconds an answer may take: an exhausted pool made callers wait 30 s, then 503."""
CONNECTIONS = 32
"""The bot's connections to Redis, whatever the number of services: two blocking reads per
shard (4 here), the web chat's pub/sub, the fan-out's reader and the short calls of the
HTTP app and the workers."""


@contextlib.asynccontextmanager
async def private_redis() -> AsyncIterator[str]:
    """A redis-server of this test's own, so that CLIENT LIST shows the bot's connections."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="switchboard-pool-") as workdir:
        argv = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
        argv += ["--appendonly", "no", "--dir", workdir]
        server = await asyncio.create_subprocess_exec(
            *argv, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
        )
        url = f"redis://127.0.0.1:{port}/0"
        probe = Redis.from_url(url)
        try:
            async with asyncio.timeout(10):
                while True:
                    with contextlib.suppress(Exception):
                        if await probe.ping():
                            break
                    await asyncio.sleep(0.05)
            yield url
        finally:
            await probe.aclose()
            server.terminate()
            await asyncio.wait_for(server.wait(), 10)


async def prompt_call(bot: Bot, method: str, path: str, body: Any = None) -> Answer:
    """An API call that must answer within PROMPT seconds."""
    async with asyncio.timeout(PROMPT):
        return await call(bot, ADMIN, method, path, body)


async def bot_connections(observer: Redis) -> int:
    """Connections to the private Redis, less the observer's own."""
    clients: list[dict[str, Any]] = await observer.client_list()
    return len(clients) - 1


async def failed_attempts(bot: Bot) -> int:
    """The failed deliveries so far, as ``/metrics`` reports them."""
    async with asyncio.timeout(PROMPT), bot.client.get("/metrics") as response:
        found = samples(await response.text())
    return int(sum(value for _, value in found.get("switchboard_fanout_failed_attempts_total", [])))


async def test_many_services_do_not_exhaust_the_connection_pool(make_bot: BotFactory) -> None:
    async with private_redis() as url, SubscriberSink("stalled-" + "s" * 24) as stalled:
        stalled.stall(60)  # takes every delivery and never answers in time
        bot = await make_bot(
            services=("support",),
            redis_url=url,
            admin_token=ADMIN,
            delivery=DeliverySettings(retry_base=0.05, retry_cap=0.5, timeout=1.0),
        )
        observer = Redis.from_url(url)
        try:
            number = f"wa:{bot.phone_number_id}"
            closed = f"http://127.0.0.1:{free_port()}/hook"
            for n in range(SERVICES):
                body = {
                    "name": f"svc{n}",
                    "url": closed if n % 2 else stalled.url,
                    "secret": f"secret-{n}-" + "x" * 20,
                    "numbers": [number],
                }
                answer = await prompt_call(bot, "POST", "/v1/services", body)
                assert answer.status == 201, answer.raw

            for n in range(3):
                # Webhooks go on being taken, and every event still reaches the live service.
                payload = meta.text_message(bot.phone_number_id, "447911123456", f"hello {n}")
                async with asyncio.timeout(PROMPT):
                    response = await bot.post_whatsapp(payload)
                assert response.status == 200
                await bot.sinks["support"].wait_for_count(n + 1, "message.inbound", timeout=PROMPT)
            assert bot.graph is not None
            await bot.graph.wait_for_sent(1, timeout=PROMPT)  # the welcome reached the customer

            # Every dead and stalled service is tried, and tried again, while the API answers.
            while await failed_attempts(bot) < 2 * SERVICES:
                answer = await prompt_call(bot, "GET", "/v1/numbers")
                assert answer.status == 200, answer.raw
            numbers = await prompt_call(bot, "GET", "/v1/numbers")
            [listed] = [item for item in numbers.json["numbers"] if item["number"] == number]
            assert len(listed["services"]) == SERVICES + 2  # the runtime's own, support, the 200

            extra = {"name": "late", "url": closed, "secret": "late-" + "y" * 24}
            extra["numbers"] = [number]
            assert (await prompt_call(bot, "POST", "/v1/services", extra)).status == 201
            assert await bot_connections(observer) <= CONNECTIONS
        finally:
            await observer.aclose()
            await bot.stop()  # before its Redis goes
