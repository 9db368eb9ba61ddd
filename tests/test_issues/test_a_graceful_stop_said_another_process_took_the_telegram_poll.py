"""A graceful stop of a bot polling Telegram said "lost the Telegram polling lease;
another process polls now" when no other process was there: the lease's keeper, woken by
the stop, renewed the lease once more, and found it given up by the stop. The keeper
renews nothing once the stop has come."""

from __future__ import annotations

import asyncio
import logging

import pytest

from tests.conftest import BotFactory
from tests.emulators.telegram_api import TelegramAPIEmulator, fake_token
from tests.test_telegram_runtime import TEAM_CHAT, telegram_bot


@pytest.mark.parametrize("waiting", [0.2, 0.6, 1.0])
async def test_a_stop_while_polling_waits_says_nothing_of_another_process(
    make_bot: BotFactory, caplog: pytest.LogCaptureFixture, waiting: float
) -> None:
    caplog.set_level(logging.INFO)
    token = fake_token()
    async with TelegramAPIEmulator(token) as api:
        api.add_group(TEAM_CHAT, "Team")
        api.throttle("getUpdates", times=5, retry_after=3)  # the poller waits out a 429
        tg = await telegram_bot(make_bot, api, token)
        await api.wait_until(
            lambda: any(r.api_method == "getUpdates" and r.status == 429 for r in api.requests),
            what="a getUpdates refused",
        )
        await asyncio.sleep(waiting)  # somewhere in its wait: the stop comes then
        await tg.bot.stop()
    said = [r.getMessage() for r in caplog.records if "another process" in r.getMessage()]
    assert said == []
