"""A connection had 10 s to bring its first request head, but then a body that stalled (a
full head, then nothing, on ``POST /webhooks/whatsapp``, which reads the body before it
checks the signature) was waited for without end, and a kept-alive connection with no
next request was kept for aiohttp's hour: a few clients took every file the process may
open, and /healthz was refused. A body that goes ``PIECE_SECONDS`` without a byte is a
408 and its connection closed; an idle kept-alive connection is closed after
``KEEPALIVE_SECONDS``."""

from __future__ import annotations

import asyncio
import secrets

import pytest
from aiohttp import web

from bot.cli import serve
from bot.http import body
from tests.conftest import BotFactory


async def test_a_stalled_body_is_a_408_and_its_connection_closed(
    make_bot: BotFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(body, "PIECE_SECONDS", 0.5)
    admin = secrets.token_hex(16)
    bot = await make_bot(admin_token=admin)
    port = bot.client.server.port
    for path in ("/webhooks/whatsapp", "/v1/services", "/t/events"):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        head = f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        head += f"Authorization: Bearer {admin}\r\n"
        writer.write(f"{head}Content-Length: 1000\r\n\r\n{{".encode())
        answer = await asyncio.wait_for(reader.read(), timeout=10)  # read to its close
        assert answer.startswith(b"HTTP/1.1 408"), (path, answer[:200])
        assert b"did not arrive in time" in answer
        writer.close()
        await writer.wait_closed()
    assert (await bot.client.get("/healthz")).status == 200


async def test_an_idle_kept_alive_connection_is_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(serve, "KEEPALIVE_SECONDS", 0.5)

    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    runner = serve.http_runner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        port = runner.addresses[0][1]
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=5)
        assert head.startswith(b"HTTP/1.1 200")
        await asyncio.wait_for(reader.readexactly(12), timeout=5)
        assert await asyncio.wait_for(reader.read(), timeout=10) == b""  # closed when idle
        writer.close()
        await writer.wait_closed()
    finally:
        await runner.cleanup()
