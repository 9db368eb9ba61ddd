"""A Redis without persistence restarted under a running bot came back empty: the shards'
groups were made again, but the numbers' attached services were not; ``admin services
list`` said "no services: idle", the services got nothing, and ``/readyz`` said idle
numbers, until some bot process restarted. The configured services are attached again
as soon as a process finds the store emptied."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from bench.procs import Child
from tests.conftest import BotFactory
from tests.emulators import meta_webhooks as meta
from tests.test_crash import wait_until


async def test_the_configured_services_come_back_with_an_empty_redis(
    make_bot: BotFactory, private_redis_server: Child, caplog: pytest.LogCaptureFixture
) -> None:
    bot = await make_bot(redis_url=private_redis_server.url)
    number = f"wa:{bot.phone_number_id}"
    order = bot.runtime.services.order
    attached = await order(number)
    assert "support" in attached
    await bot.post_whatsapp(meta.text_message(bot.phone_number_id, "447700901001", "before"))
    await bot.sinks["support"].wait_for_count(1, type="message.inbound")
    private_redis_server.stop()  # no persistence: it comes back empty
    await asyncio.to_thread(private_redis_server.start)

    # The process may answer from what it knew before the restart for a moment: what
    # counts is that it finds the store emptied, and attaches the services again.
    async def missing() -> str:
        if not any("attached again" in r.getMessage() for r in caplog.records):
            return "the services attached again"
        now = await _order_or_none(order, number)
        return "" if now == attached else f"attached now: {now}"

    await wait_until(missing, timeout=30)


async def _order_or_none(
    order: Callable[[str], Awaitable[list[str]]], number: str
) -> list[str] | None:
    try:
        return await order(number)
    except Exception:  # the clients reconnecting
        return None
