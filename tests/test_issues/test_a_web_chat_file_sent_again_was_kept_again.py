"""A web chat file sent again under its id was kept again, each copy for 30 days.

As the store saw it: the page sends a file again under the same id when it saw no
answer (a dropped connection); the message was taken once, but each retry stored
another copy of the file (up to 10 MB) that nothing named, until it expired. A file
sent again under its id is kept once, and each answer names that one.
"""

from __future__ import annotations

from tests.conftest import BotFactory
from tests.test_widget import open_socket, path_of, token_for, widget_bot

PHOTO = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 64


async def test_a_file_sent_again_is_kept_once(make_bot: BotFactory) -> None:
    bot = await widget_bot(make_bot)
    token = await token_for(bot)
    socket, _ = await open_socket(bot, token)
    urls = []
    for _ in range(3):
        sent = await bot.client.post(
            "/webchat/files",
            params={"token": token, "id": "f1", "filename": "photo.png"},
            data=PHOTO,
            headers={"Content-Type": "image/png"},
        )
        assert sent.status == 201, await sent.text()
        urls.append((await sent.json())["message"]["media"]["url"])
    await socket.close()
    assert len(set(urls)) == 1
    pattern = f"{bot.runtime.keys.prefix}*med_*"
    kept = [key async for key in bot.runtime.redis.scan_iter(match=pattern)]
    assert len(kept) == 2, kept  # its meta and its bytes, once


async def test_another_file_under_the_same_id_does_not_replace_the_first(
    make_bot: BotFactory,
) -> None:
    bot = await widget_bot(make_bot)
    token = await token_for(bot)
    socket, _ = await open_socket(bot, token)
    answers = []
    for data, kind in ((PHOTO, "image/png"), (b"%PDF-1.4 the invoice", "application/pdf")):
        sent = await bot.client.post(
            "/webchat/files",
            params={"token": token, "id": "f1", "filename": "x"},
            data=data,
            headers={"Content-Type": kind},
        )
        assert sent.status == 201, await sent.text()
        answers.append((await sent.json())["message"])
    await socket.close()
    # The retry is answered with the file as it was kept.
    assert [(a["kind"], a["media"]) for a in answers] == [
        (answers[0]["kind"], answers[0]["media"])
    ] * 2
    shown = await bot.client.get(path_of(answers[0]["media"]["url"]))
    assert await shown.read() == PHOTO
