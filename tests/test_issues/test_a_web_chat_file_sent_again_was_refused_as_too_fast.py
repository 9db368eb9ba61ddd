"""A web chat file the bot had kept, sent again by the page under its id (its answer was
lost to a dropped connection), was refused as too fast: the page sends a picked batch of
files at once, which takes the visitor's whole pace (10 at once), so the resend a second
later got 429, and the page said "The file was not sent" and took the bubble away though
the services had it. Each resend also counted the file again against the hour's bytes of
the web chat's files. A file sent again under its id is answered again, as kept, without
counting against either."""

from __future__ import annotations

import base64
from typing import Any

from adapters import webchat
from tests.conftest import Bot, BotFactory
from tests.test_widget import SHOP, open_socket, token_for, widget_bot

PHOTO = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 64


def kept(media: dict[str, Any]) -> tuple[Any, ...]:
    """A file as the page shows it, with its media id for its URL: the URL is signed anew
    for each answer, with the second it expires at, which may be the next one's."""
    token = media["url"].rpartition("/")[2]
    media_id = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).split(b"\n")[0]
    return media_id, {key: value for key, value in media.items() if key != "url"}


async def _send(bot: Bot, token: str, client_id: str) -> Any:
    return await bot.client.post(
        "/webchat/files",
        params={"token": token, "id": client_id, "filename": "photo.png"},
        data=PHOTO,
        headers={"Content-Type": "image/png"},
    )


async def test_a_file_sent_again_is_answered_past_the_pace(make_bot: BotFactory) -> None:
    bot = await widget_bot(make_bot)
    token = await token_for(bot)
    socket, _ = await open_socket(bot, token)
    first = []
    for n in range(webchat.FILE_BURST):  # a batch picked at once: the whole pace
        sent = await _send(bot, token, f"f{n}")
        assert sent.status == 201, await sent.text()
        first.append((await sent.json())["message"])
    again = await _send(bot, token, "f0")  # its answer was lost: the page sends it again
    assert again.status == 201, await again.text()
    answered = (await again.json())["message"]
    assert answered["id"] == first[0]["id"]
    assert kept(answered["media"]) == kept(first[0]["media"])  # the file kept, not another
    new = await _send(bot, token, "f-new")  # a new file is paced as before
    assert new.status == 429, await new.text()
    await socket.close()
    sink = bot.sinks["support"]
    await sink.wait_for_count(webchat.FILE_BURST, type="message.inbound")
    await bot.settle()
    assert len(sink.events("message.inbound")) == webchat.FILE_BURST


async def test_a_file_sent_again_is_not_counted_again(make_bot: BotFactory) -> None:
    bot = await make_bot(
        whatsapp=False, tracking_origins=(SHOP,), web_file_bytes_per_hour=len(PHOTO)
    )
    token = await token_for(bot)
    socket, _ = await open_socket(bot, token)
    sent = await _send(bot, token, "f1")
    assert sent.status == 201, await sent.text()
    again = await _send(bot, token, "f1")
    assert again.status == 201, await again.text()
    await socket.close()
