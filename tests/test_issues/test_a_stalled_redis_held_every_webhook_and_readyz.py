"""A Redis that stopped answering without closing its connections (paused, its host
stalled: ``kill -STOP``) held every webhook and /readyz for as long as it stalled, past
Meta's and Twilio's timeouts, and a readiness probe got no answer at all. A webhook's
append now waits ``ACCEPT_SECONDS`` at most, then answers 503 (the provider retries, and
an append that went through is deduplicated), and /readyz says not ready within 2 s."""

from __future__ import annotations

import asyncio

import pytest

import bot.core.ingest
from bench.procs import Child
from tests.conftest import PHONE_NUMBER_ID, BotFactory, paused
from tests.emulators import meta_webhooks as meta


async def test_a_stalled_store_is_a_503_in_bounded_time(
    make_bot: BotFactory, private_redis_server: Child, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bot.core.ingest, "ACCEPT_SECONDS", 1.0)
    server = private_redis_server
    running = await make_bot(redis_url=server.url)
    with paused(server.pid):
        async with asyncio.timeout(8):
            ready = await running.client.get("/readyz")
            hook = meta.text_message(PHONE_NUMBER_ID, "447911009001", "hi")
            accepted = await running.post_whatsapp(hook)
        assert ready.status == 503 and "TimeoutError" in (await ready.json())["error"]
        assert accepted.status == 503
    async with asyncio.timeout(10):  # once it answers again, the retry is taken
        again = await running.post_whatsapp(hook)
    assert again.status == 200
    await running.stop()  # while its store is there to let go of
