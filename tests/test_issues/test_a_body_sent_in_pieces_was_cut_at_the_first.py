"""A /v1 body that arrived in several pieces was cut to the first: ``content.read(n)``
answers with what has arrived, up to n bytes, and the rest was never read."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.api.common import raw_body


async def test_a_body_sent_in_pieces_is_read_whole() -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.json_response({"size": len(await raw_body(request, 1000))})

    app = web.Application()
    app.router.add_post("/", handler)

    async def pieces() -> AsyncIterator[bytes]:
        for _ in range(3):
            yield b"a" * 100
            await asyncio.sleep(0.05)  # each piece its own arrival

    async def too_long() -> AsyncIterator[bytes]:
        for _ in range(30):
            yield b"a" * 100
            await asyncio.sleep(0.01)

    async with TestClient(TestServer(app)) as client:
        async with client.post("/", data=pieces()) as response:
            assert (await response.json())["size"] == 300
        async with client.post("/", data=too_long()) as response:
            assert (await response.json())["size"] == 1001  # the limit and one more
