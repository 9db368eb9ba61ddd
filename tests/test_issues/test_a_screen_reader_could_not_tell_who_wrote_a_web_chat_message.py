"""A screen reader read the web chat's messages one after the other with nothing to say
who wrote each: the visitor's own and the business's answers sounded alike (only their
colour and side told them apart). Each is now read out with its author, the visitor or
the chat's title, and nothing of it shows or changes the messages' text."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, expect

from tests.botprocess import BotProcess
from tests.test_browser import TIMEOUT_MS, WELCOME, bot, browser, open_chat, press_enter

__all__ = ["bot", "browser"]

pytestmark = pytest.mark.browser


async def test_each_message_is_read_out_with_its_author(bot: BotProcess, browser: Browser) -> None:
    page = await open_chat(browser, bot.url)
    await press_enter(page, "hello there")
    bubbles = page.locator("#log .msg")
    await expect(bubbles).to_have_count(2, timeout=TIMEOUT_MS)
    await expect(bubbles).to_have_text(["hello there", WELCOME], timeout=TIMEOUT_MS)
    title = await page.locator("#title").text_content()
    read = await page.locator("#log").aria_snapshot()
    assert "You said:hello there" in read, read
    assert f"{title} said:{WELCOME}" in read, read
    await page.context.close()
