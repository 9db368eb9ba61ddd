"""A request that failed on our side was logged with its path as sent: for a tracked link,
``GET /l/<token> failed``, and the token is signed and names a profile and a message.
Now the line names the route (``/l/{token}``), as the access log does (REL-5)."""

from __future__ import annotations

import logging
import secrets

import pytest
from aiohttp.test_utils import TestClient, TestServer
from redis.asyncio import Redis

from bot.config.settings import Settings
from bot.runtime import Runtime
from tests.botprocess import free_port


async def test_a_link_followed_while_the_store_is_down_logs_no_token(
    caplog: pytest.LogCaptureFixture,
) -> None:
    unreachable = Redis.from_url(f"redis://127.0.0.1:{free_port()}/0", decode_responses=True)
    runtime = Runtime(Settings(redis_url="redis://unused"), unreachable)
    token = secrets.token_urlsafe(32)
    caplog.set_level(logging.INFO)
    async with TestClient(TestServer(runtime.http_app())) as client:
        response = await client.get(f"/l/{token}", allow_redirects=False)
        assert response.status == 503
    await runtime.close()
    # The bot serves with aiohttp's own access log off (bot/cli/serve.py); the test server
    # keeps it on, so its lines are left out here.
    ours = [record for record in caplog.records if record.name != "aiohttp.access"]
    logged = "\n".join(caplog.handler.format(record) for record in ours)
    assert "GET /l/{token} answered 503: the store failed" in logged
    assert token not in logged
