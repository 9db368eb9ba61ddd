"""A customer's Telegram video note (a round video) or sticker arrived as ``unsupported``,
with no ``media.ref``: no service, nor the live view, could fetch or even see the file,
where a WhatsApp sticker arrives as a sticker with its ref. They arrive as a video and
a sticker, fetched as every customer's file is."""

from __future__ import annotations

import pytest

from bot.config.settings import TelegramSettings
from tests.conftest import BotFactory
from tests.emulators.telegram_api import TelegramAPIEmulator, fake_token
from tests.test_api import wait_for_event
from tests.test_media_inbound import fetch, inbound_with

MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 500
WEBP = b"RIFF\x00\x00\x00\x00WEBPVP8 " + b"\x00" * 500


@pytest.mark.parametrize(
    ("field", "data", "kind"), [("video_note", MP4, "video"), ("sticker", WEBP, "sticker")]
)
async def test_a_video_note_or_sticker_arrives_as_media(
    make_bot: BotFactory, field: str, data: bytes, kind: str
) -> None:
    token = fake_token()
    async with TelegramAPIEmulator(token) as api:
        settings = TelegramSettings(token=token, api_base=api.base_url)
        bot = await make_bot(whatsapp=False, telegram=settings, telegram_lease_ttl=2.0)
        service = await bot.runtime.directory.define_token("support")
        api.document(5551001, "", "", data=data, field=field)
        event = await wait_for_event(bot.sinks["support"], "message.inbound", inbound_with(kind))
        message = event["data"]["message"]
        assert message["media"]["ref"].startswith("tg_")
        assert (await fetch(bot, service, message["media"]["ref"]))[:2] == (200, data)
