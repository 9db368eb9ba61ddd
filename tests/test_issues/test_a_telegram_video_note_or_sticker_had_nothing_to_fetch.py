"""A customer's Telegram video note (a round video) or sticker arrived as ``unsupported``,
with no ``media.ref``: no service, nor the live view, could fetch or even see the file,
where a WhatsApp sticker arrives as a sticker with its ref. They arrive as a video and
a sticker, fetched as every customer's file is."""

from __future__ import annotations

import pytest

from tests.conftest import BotFactory
from tests.test_api import wait_for_event
from tests.test_media_inbound import fetch, inbound_with, telegram_files_bot

MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 500
WEBP = b"RIFF\x00\x00\x00\x00WEBPVP8 " + b"\x00" * 500


@pytest.mark.parametrize(
    ("field", "data", "kind"), [("video_note", MP4, "video"), ("sticker", WEBP, "sticker")]
)
async def test_a_video_note_or_sticker_arrives_as_media(
    make_bot: BotFactory, field: str, data: bytes, kind: str
) -> None:
    async with telegram_files_bot(make_bot) as (bot, api, service):
        api.document(5551001, "", "", data=data, field=field)
        event = await wait_for_event(bot.sinks["support"], "message.inbound", inbound_with(kind))
        message = event["data"]["message"]
        assert message["media"]["ref"].startswith("tg_")
        assert (await fetch(bot, service, message["media"]["ref"]))[:2] == (200, data)
