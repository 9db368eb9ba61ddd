"""A Telegram bot token that Telegram refuses (401 Unauthorized: a wrong token, or one
revoked in @BotFather) was said only as "getUpdates failed: ... Unauthorized", asked again
and again, with nothing naming the setting to fix. The log says TELEGRAM_BOT_TOKEN is
refused, and what to do, with either framework."""

from __future__ import annotations

import pytest

from tests.conftest import BotFactory
from tests.emulators.telegram_api import TelegramAPIEmulator, fake_token
from tests.test_telegram_runtime import telegram_bot


@pytest.mark.parametrize("framework", ["aiogram", "ptb"])
async def test_a_refused_token_is_named(
    make_bot: BotFactory, caplog: pytest.LogCaptureFixture, framework: str
) -> None:
    async with TelegramAPIEmulator(fake_token()) as api:
        tg = await telegram_bot(make_bot, api, fake_token(), framework=framework)
        await api.wait_until(
            lambda: any(r.api_method == "getUpdates" and r.status == 401 for r in api.requests),
            timeout=10,
        )
        await api.wait_until(lambda: "TELEGRAM_BOT_TOKEN" in caplog.text, timeout=10)
        assert "Telegram refuses TELEGRAM_BOT_TOKEN" in caplog.text
        await tg.bot.stop()
