"""Health, readiness and metrics, as a load balancer and a scraper see them."""

from __future__ import annotations

import re

from aiohttp.test_utils import TestClient, TestServer
from redis.asyncio import Redis

from bot.config.settings import Settings
from bot.runtime import Runtime
from tests.botprocess import free_port
from tests.conftest import BotFactory
from tests.emulators import meta_webhooks as meta


async def test_health_readiness_and_counters(make_bot: BotFactory) -> None:
    bot = await make_bot()
    assert (await (await bot.client.get("/healthz")).json()) == {"ok": True}
    ready = await (await bot.client.get("/readyz")).json()
    assert ready == {
        "ok": True,
        "store": "redis",
        "numbers": {"web:site": "active", f"wa:{bot.phone_number_id}": "active"},
    }
    payload = meta.text_message(bot.phone_number_id, "447700900123", "hi")
    await bot.post_whatsapp(payload)
    await bot.post_whatsapp(payload)
    await bot.settle()
    text = await (await bot.client.get("/metrics")).text()
    counters = dict(re.findall(r'^switchboard_(\w+)\{worker="[^"]+"\} (\d+)$', text, re.M))
    assert counters["inbound_accepted_total"] == "1"
    assert counters["inbound_duplicates_total"] == "1"
    assert counters["pipeline_processed_total"] == "1"
    assert int(counters["redis_round_trips_total"]) > 0


async def test_readyz_is_503_while_the_store_is_unreachable() -> None:
    unreachable = Redis.from_url(f"redis://127.0.0.1:{free_port()}/0", decode_responses=True)
    runtime = Runtime(Settings(redis_url="redis://unused"), unreachable)
    async with TestClient(TestServer(runtime.http_app())) as client:
        response = await client.get("/readyz")
        assert response.status == 503
        assert "redis unreachable" in (await response.json())["error"]
        assert (await client.get("/healthz")).status == 200
    await runtime.close()
