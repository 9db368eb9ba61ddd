"""Since the web chat refuses a message holding control characters, a visitor who pasted
text with one they cannot see (a vertical tab, Word's line break; a bell or an escape from
a terminal) would have had the message refused, and typed it again with the same paste.
The page sends what the visitor typed without them: a vertical tab or a form feed is a
space, the others are dropped, and the message goes."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser

from tests.botprocess import BotProcess
from tests.test_browser import WELCOME, bot, browser, expect_log, open_chat, press_enter

__all__ = ["bot", "browser"]

pytestmark = pytest.mark.browser


async def test_a_pasted_text_with_control_characters_goes_without_them(
    bot: BotProcess, browser: Browser
) -> None:
    page = await open_chat(browser, bot.url)
    await press_enter(page, "ring\x07 the\x0bbell\x1b")
    await expect_log(page, "ring the bell", WELCOME)
    await page.reload()
    await expect_log(page, "ring the bell", WELCOME)  # as the server kept it
