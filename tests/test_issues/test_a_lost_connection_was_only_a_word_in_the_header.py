"""When the chat's connection dropped, only the small header line changed; now the log says
"Connection lost, reconnecting…" until the chat is back."""

from __future__ import annotations

import asyncio

import pytest
from playwright.async_api import Browser, expect

from tests import test_browser as chat
from tests.botprocess import BotProcess

pytestmark = pytest.mark.browser
bot = chat.bot
browser = chat.browser
BACK_MS = 40_000
"""The page backs off 1, 2, 4, 8... seconds between tries while the bot restarts."""


async def test_the_log_says_the_connection_is_lost_until_it_is_back(
    bot: BotProcess, browser: Browser
) -> None:
    page = await chat.open_chat(browser, bot.url)
    await chat.press_enter(page, "hi")
    await chat.expect_log(page, "hi", chat.WELCOME)
    lost = page.locator("#log .notice", has_text="Connection lost, reconnecting…")
    await expect(lost).to_have_count(0)

    await asyncio.to_thread(bot.stop)
    await expect(lost).to_have_count(1, timeout=chat.TIMEOUT_MS)
    await expect(page.locator("#status")).to_have_text("reconnecting…")

    await asyncio.to_thread(bot.start)
    await expect(page.locator("#status")).to_have_text("online", timeout=BACK_MS)
    await expect(lost).to_have_count(0)
    await page.context.close()
