"""A visitor's file arrives in many pieces (any photo over the network does): the web chat
kept ``content.read(n)``'s first answer, what had arrived by then (64 KiB at most), and
stored that, cut, as the file with a 201. The visitor token's body was read the same way."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

from tests.conftest import BotFactory
from tests.test_widget import SHOP, open_socket, path_of, token_for, widget_bot

PHOTO = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 1024  # 256 KiB


async def pieces(data: bytes, size: int) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]
        await asyncio.sleep(0.01)  # each piece its own arrival


async def test_a_photo_sent_in_pieces_is_kept_whole(make_bot: BotFactory) -> None:
    bot = await widget_bot(make_bot)
    token = await token_for(bot)
    socket, _ = await open_socket(bot, token)
    sent = await bot.client.post(
        "/webchat/files",
        params={"token": token, "id": "f1", "filename": "photo.png"},
        data=pieces(PHOTO, 32 * 1024),
        headers={"Content-Type": "image/png"},
    )
    assert sent.status == 201, await sent.text()
    url = (await sent.json())["message"]["media"]["url"]
    shown = await bot.client.get(path_of(url))
    assert await shown.read() == PHOTO
    too_big = PHOTO * 41  # past 10 MB, in pieces with no length declared
    refused = await bot.client.post(
        "/webchat/files",
        params={"token": token, "id": "f2"},
        data=pieces(too_big, 1024 * 1024),
        headers={"Content-Type": "image/png"},
    )
    assert refused.status == 413
    await socket.close()


async def test_a_token_request_sent_in_pieces_is_read_whole(make_bot: BotFactory) -> None:
    bot = await widget_bot(make_bot)
    body = json.dumps({"visitor_id": "v" * 40}).encode()
    answer = await bot.client.post("/webchat/token", data=pieces(body, 8), headers={"Origin": SHOP})
    assert answer.status == 200, await answer.text()
    assert (await answer.json())["visitor_id"] == "v" * 40
