"""A Redis that stopped answering without closing its connections (paused, its host
stalled) held every ``/v1`` call for as long as it stalled (50 s, and past a caller's
30 s timeout, no answer at all), where the webhooks answer 503 within 10 s. A call now
waits ``STORE_SECONDS`` at most on the store, then answers 503 with ``Retry-After``; its
body's reading has deadlines of its own and is not counted."""

from __future__ import annotations

import asyncio

import pytest

import bot.http.errors
from bench.procs import Child
from tests.conftest import BotFactory, paused


async def test_a_call_on_a_stalled_store_is_a_503_in_bounded_time(
    make_bot: BotFactory, private_redis_server: Child, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bot.http.errors, "STORE_SECONDS", 1.0)
    server = private_redis_server
    running = await make_bot(redis_url=server.url)
    token = await running.runtime.directory.define_token("support")
    auth = {"Authorization": f"Bearer {token}"}
    assert (await running.client.get("/v1/numbers", headers=auth)).status == 200
    with paused(server.pid):
        async with asyncio.timeout(8):
            listed = await running.client.get("/v1/numbers", headers=auth)
            noted = await running.client.post(
                "/v1/profiles/lookup", json={"identity": "phone:+447700900123"}, headers=auth
            )
        for answer in (listed, noted):
            assert answer.status == 503 and answer.headers["Retry-After"] == "5"
            assert "temporarily unable" in (await answer.json())["error"]
    async with asyncio.timeout(10):  # once it answers again, so do the calls
        again = await running.client.get("/v1/numbers", headers=auth)
    assert again.status == 200
    await running.stop()
