"""A Redis that stopped answering without closing its connections held every call of the
live view's page (``/live/api/...``) for as long as it stalled, where the service API's
answer 503 with ``Retry-After`` once ``STORE_SECONDS`` have passed. The page's calls now
have the same deadline; its event stream, open for the token's hour, does not."""

from __future__ import annotations

import asyncio

import pytest

import bot.http.errors
from bench.procs import Child
from tests.conftest import BotFactory, paused
from tests.test_api import shared_number
from tests.test_api_live import live, live_token


async def test_the_live_view_s_calls_on_a_stalled_store_are_503s_in_bounded_time(
    make_bot: BotFactory, private_redis_server: Child, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bot.http.errors, "STORE_SECONDS", 1.0)
    server = private_redis_server
    shared = await shared_number(make_bot, redis_url=server.url)
    token = await live_token(shared)
    stream = await shared.bot.client.get(f"/live/api/stream?token={token}")
    assert stream.status == 200
    assert await stream.content.readuntil(b"\n\n") == b"event: ready\ndata: {}\n\n"
    assert (await live(shared, token, "GET", "/state")).status == 200
    with paused(server.pid):
        async with asyncio.timeout(8):
            state = await shared.bot.client.get(
                "/live/api/state", headers={"Authorization": f"Bearer {token}"}
            )
        assert state.status == 503 and state.headers["Retry-After"] == "5"
    async with asyncio.timeout(10):  # once it answers again, so do the calls
        again = await live(shared, token, "GET", "/state")
    assert again.status == 200
    assert not stream.content.at_eof()  # the page's stream outlived the deadline
    stream.close()
    await shared.bot.stop()
