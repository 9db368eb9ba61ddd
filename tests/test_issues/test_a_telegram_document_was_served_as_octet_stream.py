"""A customer's PDF sent on Telegram came to a service's ``GET /v1/media/{ref}`` as
``application/octet-stream``: Telegram's file server names no type, and the file's path (which
keeps the extension) was not read for one."""

from __future__ import annotations

from tests.conftest import BotFactory
from tests.test_api import wait_for_event
from tests.test_media_inbound import PNG, fetch, inbound_with, telegram_files_bot

PDF = b"%PDF-1.7\n" + b"0" * 400 + b"\n%%EOF\n"


async def test_a_telegram_document_is_served_with_its_type(make_bot: BotFactory) -> None:
    async with telegram_files_bot(make_bot) as (bot, api, service):
        api.document(5551002, "invoice.pdf", "application/pdf", data=PDF)
        api.photo(5551002, data=PNG)
        sink = bot.sinks["support"]
        document = await wait_for_event(sink, "message.inbound", inbound_with("document"))
        photo = await wait_for_event(sink, "message.inbound", inbound_with("image"))
        fetched = await fetch(bot, service, document["data"]["message"]["media"]["ref"])
        assert fetched == (200, PDF, "application/pdf")
        assert await fetch(bot, service, photo["data"]["message"]["media"]["ref"]) == (
            200,
            PNG,
            "image/jpeg",
        )
