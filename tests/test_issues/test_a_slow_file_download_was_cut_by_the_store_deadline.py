"""A service fetching a customer's file (``GET /v1/media/{ref}``) that the provider hands
over slowly was cut at the ``/v1`` calls' store deadline: a 503 was written into the
middle of the file's bytes, on a connection left open. The deadline bounds the waits on
the store; a file streams at the provider's pace."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

import bot.http.errors
from tests.emulators import meta_webhooks as meta
from tests.test_api import Shared
from tests.test_media_inbound import PNG, inbound_with, shared, wait_for_event

__all__ = ["shared"]
SIZE = 256 * 1024


async def test_a_slow_provider_download_streams_whole(
    shared: Shared, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bot.http.errors, "STORE_SECONDS", 1.0)
    data = PNG + b"\x00" * (SIZE - len(PNG))
    media_id = shared.graph.media.add_media(data, "image/png", shared.bot.phone_number_id)

    async def pieces() -> AsyncIterator[bytes]:  # 8 pieces, 0.4 s apart: past the deadline
        for start in range(0, len(data), 32 * 1024):
            yield data[start : start + 32 * 1024]
            await asyncio.sleep(0.4)

    def slow_download(request: web.Request) -> web.Response:
        headers = {"Content-Type": "image/png", "Content-Length": str(len(data))}
        return web.Response(body=pieces(), headers=headers)

    shared.graph.media.download = slow_download  # type: ignore[method-assign]
    payload = meta.image_message(shared.bot.phone_number_id, "447700900123", media_id)
    assert (await shared.bot.post_whatsapp(payload)).status == 200
    event = await wait_for_event(
        shared.bot.sinks["sales"], "message.inbound", inbound_with("image")
    )
    ref = event["data"]["message"]["media"]["ref"]
    headers = {"Authorization": f"Bearer {shared.tokens['sales']}"}
    async with asyncio.timeout(20):
        async with shared.bot.client.get(f"/v1/media/{ref}", headers=headers) as response:
            assert response.status == 200
            got = await response.read()
    assert got == data
