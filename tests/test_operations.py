"""Health, readiness and metrics, as a load balancer and a scraper see them."""

from __future__ import annotations

from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families
from redis.asyncio import Redis

from bot.config.settings import Settings
from bot.runtime import Runtime
from tests.botprocess import free_port
from tests.conftest import BotFactory
from tests.emulators import meta_webhooks as meta
from tests.scrape import total
from tests.test_crash import wait_until


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
    await bot.sinks["support"].wait_for_count(1, type="message.inbound")
    response = await bot.client.get("/metrics")
    assert response.content_type == "text/plain"
    text = ""

    async def settled() -> str:
        # A finished delivery leaves the queue with the fan-out's next read, or within
        # 50 ms when none comes.
        nonlocal text
        text = await (await bot.client.get("/metrics")).text()
        queued = total(text, "fanout_queue", service="support")
        return f"{queued:g} deliveries still queued" if queued else ""

    await wait_until(settled, timeout=5)
    assert total(text, "inbound_accepted_total") == 1
    assert total(text, "inbound_duplicates_total") == 1
    assert total(text, "pipeline_processed_total") == 1
    assert total(text, "redis_round_trips_total") > 0
    assert total(text, "inbound_backlog") == 0
    assert total(text, "fanout_queue", service="support") == 0
    # Every family says what it is, and none is labelled by process any more.
    families = {family.name: family for family in text_string_to_metric_families(text)}
    for name in ("switchboard_inbound_accepted", "switchboard_webhook_seconds"):
        assert f"# HELP {name}" in text
    assert families["switchboard_webhook_seconds"].type == "histogram"
    assert families["switchboard_inbound_accepted"].type == "counter"
    assert families["switchboard_inbound_dead_letters"].type == "gauge"
    assert "worker=" not in text


async def test_readyz_is_503_while_the_store_is_unreachable() -> None:
    unreachable = Redis.from_url(f"redis://127.0.0.1:{free_port()}/0", decode_responses=True)
    runtime = Runtime(Settings(redis_url="redis://unused"), unreachable)
    async with TestClient(TestServer(runtime.http_app())) as client:
        response = await client.get("/readyz")
        assert response.status == 503
        assert "redis unreachable" in (await response.json())["error"]
        assert (await client.get("/healthz")).status == 200
    await runtime.close()
