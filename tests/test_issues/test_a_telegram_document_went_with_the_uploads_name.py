"""A reply's document on Telegram with a ``filename`` (``{"type": "document", "id": "med_…",
"filename": "Invoice 42.pdf"}``) went with the name the file was uploaded under: the API
echoed the reply's name and the customer saw the upload's. docs/api.md: a reply's media is
sent with "a document's `filename`"."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.config.settings import TelegramSettings
from tests.conftest import BotFactory
from tests.emulators.telegram_api import TelegramAPIEmulator, fake_token
from tests.test_api import call
from tests.test_media_channels import PDF, upload

CUSTOMER = 5551042


@pytest.mark.parametrize("framework", ["aiogram", "ptb"])
async def test_the_reply_s_filename_is_the_document_s(make_bot: BotFactory, framework: str) -> None:
    token = fake_token()
    async with TelegramAPIEmulator(token) as api:
        settings = replace(
            TelegramSettings(token=token, api_base=api.base_url), framework=framework
        )
        bot = await make_bot(whatsapp=False, telegram=settings, telegram_lease_ttl=2.0)
        api.customer_text(CUSTOMER, "hello")
        await api.wait_for_sent(1)  # the welcome
        await bot.settle()
        service = await bot.runtime.directory.define_token("support")
        [conversation] = await bot.runtime.conversations.list_for_number(
            f"tg:{token.partition(':')[0]}"
        )
        pdf = await upload(bot, service, PDF, "application/pdf", "a.pdf")
        media = {"type": "document", "id": pdf["id"], "filename": "Invoice 42.pdf"}
        path = f"/v1/conversations/{conversation}/messages"
        assert (await call(bot, service, "POST", path, {"media": media})).status == 201
        sent = await api.wait_for_sent(2)
        assert sent[1].media is not None and sent[1].media["filename"] == "Invoice 42.pdf"
