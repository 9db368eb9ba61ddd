"""A customer's Telegram text whose link preview they had turned off or moved carries
``link_preview_options``; aiogram fills the options Telegram left out with placeholders
it cannot write back as JSON, so with the default adapter the update was skipped as
unreadable (polling) or answered 400 (webhook): the message was lost, where
python-telegram-bot took it. It is taken with either adapter now."""

from __future__ import annotations

import pytest

from tests.conftest import BotFactory
from tests.emulators.telegram_api import TelegramAPIEmulator, fake_token
from tests.test_telegram_runtime import CUSTOMER, TEAM_CHAT, telegram_bot, wait_until_processed


@pytest.mark.parametrize("framework", ["aiogram", "ptb"])
async def test_a_text_with_link_preview_options_is_answered(
    make_bot: BotFactory, framework: str
) -> None:
    token = fake_token()
    async with TelegramAPIEmulator(token) as api:
        api.add_group(TEAM_CHAT, "Team")
        tg = await telegram_bot(make_bot, api, token, framework=framework)
        text = "see https://example.com/order/42"
        api.customer_message(
            CUSTOMER,
            {"text": text, "link_preview_options": {"is_disabled": True}},
        )
        api.customer_message(
            CUSTOMER,
            {
                "text": "and https://example.com/faq",
                "link_preview_options": {"url": "https://example.com/faq", "show_above_text": True},
            },
        )
        timeline = await wait_until_processed(tg, CUSTOMER, 2)
        inbound = [m["text"] for m in timeline if m["direction"] == "inbound"]
        assert inbound == [text, "and https://example.com/faq"]
        await api.wait_until(lambda: bool(api.messages_to(CUSTOMER)), timeout=10)  # answered
        await tg.bot.stop()
