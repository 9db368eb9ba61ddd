"""With ``TELEGRAM_FRAMEWORK=ptb``, httpx wrote an INFO line for every call to the Bot API
("HTTP Request: POST …/getUpdates … 200 OK"): an idle bot's long polls alone made
thousands a day, where aiogram writes none. And PTB's own request logger wrote an ERROR
with a traceback for a 502 page the poll then retried with success. The bot's lines say
what failed; the libraries' per-call lines stay out of the log."""

from __future__ import annotations

import logging

import pytest

from tests.conftest import BotFactory
from tests.emulators.telegram_api import TelegramAPIEmulator, fake_token
from tests.test_telegram_runtime import telegram_bot


async def test_an_idle_ptb_bot_logs_no_line_per_call(
    make_bot: BotFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    token = fake_token()
    async with TelegramAPIEmulator(token) as api:
        tg = await telegram_bot(make_bot, api, token, framework="ptb")
        await api.wait_until(
            lambda: len([r for r in api.requests if r.api_method == "getUpdates"]) >= 2,
            timeout=20,
        )
        await tg.bot.stop()
    per_call = [r for r in caplog.records if r.name.startswith(("httpx", "telegram.request"))]
    assert per_call == [], [r.getMessage() for r in per_call]
