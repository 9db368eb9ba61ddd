"""Fetching a customer's WhatsApp file sent the access token to whatever download URL the
media lookup named; it goes to the API's own host and Meta's media hosts alone."""

from __future__ import annotations

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from tests.conftest import BotFactory
from tests.test_api import Shared, shared_number

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
async def shared(make_bot: BotFactory) -> Shared:
    return await shared_number(make_bot)


async def test_the_token_goes_to_metas_hosts_alone(shared: Shared) -> None:
    heard: list[str] = []

    async def elsewhere(request: web.Request) -> web.Response:
        heard.append(request.headers.get("Authorization", ""))
        return web.Response(body=PNG, content_type="image/png")

    app = web.Application()
    app.router.add_get("/{tail:.*}", elsewhere)
    async with TestServer(app) as server:
        media_id = shared.graph.media.add_media(PNG, "image/png", shared.bot.phone_number_id)
        shared.graph.media.url_root = str(server.make_url("")).rstrip("/")
        headers = {"Authorization": f"Bearer {shared.tokens['sales']}"}
        path = f"/v1/media/wa_{media_id}"
        async with shared.bot.client.get(path, headers=headers) as response:
            assert response.status == 502
            assert PNG not in await response.read()
    assert heard == []  # neither the token nor any request went there
