"""A graceful stop of a bot polling Telegram waited for the getUpdates parked in its long
poll to come back on its own, up to 5 s of every stop (and of every test that stops a
Telegram bot) with nothing to wait for: the updates of a poll cut short are not confirmed,
and Telegram hands them to the next getUpdates. The stop now cuts the long poll."""

from __future__ import annotations

import asyncio

from tests.test_telegram_runtime import CUSTOMER, TelegramBot, tg, wait_until_processed

__all__ = ["tg"]


async def test_a_stop_cuts_the_long_poll(tg: TelegramBot) -> None:
    tg.api.customer_text(CUSTOMER, "hi")
    await wait_until_processed(tg, CUSTOMER, 1)
    parked = await tg.api.wait_for_poller()
    await asyncio.wait_for(tg.bot.stop(), 10)
    assert parked.status is None  # it was still waiting when the stop was over
    assert tg.bot.runtime.channels.telegram is not None
    assert not tg.bot.runtime.channels.telegram.polling
