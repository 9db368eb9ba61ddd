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


async def test_a_big_upload_at_a_slow_steady_pace_is_taken(
    make_bot: BotFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 16 MB file over a ~1 Mbit/s uplink took more than the 120 s of a small body, and
    was cut off with 408 at 95 %: a big body has as long as 256 kbit/s takes."""
    monkeypatch.setattr(body, "BODY_SECONDS", 0.5)
    monkeypatch.setattr(body, "SLOWEST_RATE", 1024 * 1024)  # 1 MiB/s: 2 s for 2 MiB

    class Paced:
        def __init__(self) -> None:
            # A PNG of 1 MiB, in 1.2 s.
            self.chunks = [b"\x00" * 128 * 1024] * 7 + [b"\x89PNG\r\n\x1a\n" + b"\x00" * 1024]

        def __aiter__(self) -> Paced:
            return self

        async def __anext__(self) -> bytes:
            if not self.chunks:
                raise StopAsyncIteration
            await asyncio.sleep(0.15)
            return self.chunks.pop()

    bot = await make_bot()
    token = await bot.runtime.directory.define_token("support")
    headers = {"Content-Type": "image/png", "Authorization": f"Bearer {token}"}
    async with bot.client.post("/v1/media", data=Paced(), headers=headers) as answer:
        assert answer.status == 201, await answer.text()
