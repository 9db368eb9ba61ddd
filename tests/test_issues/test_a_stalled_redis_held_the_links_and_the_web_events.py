"""A Redis that stopped answering (paused, its host stalled) held ``POST /t/events`` and a
tracked link's ``GET /l/{token}`` for as long as it stalled (45 s), where the API and the
webhooks answer in bounded time. Web events are a 503 with ``Retry-After`` after
``STORE_SECONDS``; a link's click, which a customer makes to get somewhere, still takes
them there, uncounted."""

from __future__ import annotations

import asyncio

import pytest

import bot.http.errors
from bench.procs import Child
from tests.conftest import BotFactory, paused
from tests.test_tracking import click, customer, send_events, signer


async def test_web_events_and_links_answer_in_bounded_time(
    make_bot: BotFactory, private_redis_server: Child, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bot.http.errors, "STORE_SECONDS", 1.0)
    running = await make_bot(redis_url=private_redis_server.url, whatsapp=False, services=())
    link = "/l/" + (await signer(running)).sign(
        await customer(running), "m_1", "https://s.example/"
    )
    event = {"type": "page_view", "url": "https://s.example/pricing"}
    assert (await send_events(running, event)).status == 202
    with paused(private_redis_server.pid):
        async with asyncio.timeout(8):
            events = await send_events(running, event)
            clicked = await click(running, link)
        assert events.status == 503 and events.headers["Retry-After"] == "5"
        assert clicked.status == 302 and clicked.headers["Location"] == "https://s.example/"
    async with asyncio.timeout(10):  # once it answers again, so do they
        assert (await send_events(running, event)).status == 202
        again = await click(running, link)
    assert again.status == 302 and again.cookies.get("sb_vid") is not None
    await running.stop()
