"""Hebrew and Arabic messages were laid out left to right in the web chat: the question
mark of "?בטח! מה מספר ההזמנה" showed at the sentence's start. Each bubble and the input
take their direction from their text now."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, expect

from tests.botprocess import BotProcess
from tests.test_browser import TIMEOUT_MS, WELCOME, bot, browser, open_chat, press_enter

__all__ = ["bot", "browser"]

pytestmark = pytest.mark.browser

HEBREW = "שלום, אני צריך עזרה עם ההזמנה שלי (מספר 42)!"


async def test_a_right_to_left_message_is_laid_out_right_to_left(
    bot: BotProcess, browser: Browser
) -> None:
    page = await open_chat(browser, bot.url)
    await page.locator("#text").fill(HEBREW)
    assert await page.locator("#text").evaluate("e => getComputedStyle(e).direction") == "rtl"
    await page.locator("#text").press("Enter")
    await press_enter(page, "and in English")
    bubbles = page.locator("#log .msg")
    await expect(bubbles).to_have_count(3, timeout=TIMEOUT_MS)  # with the welcome
    directions = await bubbles.evaluate_all(
        "all => all.map(e => [e.textContent, getComputedStyle(e).direction])"
    )
    laid = {text.split("\n")[0]: direction for text, direction in directions}
    assert any(k.startswith(HEBREW) and v == "rtl" for k, v in laid.items()), directions
    assert any(k.startswith(WELCOME) and v == "ltr" for k, v in laid.items()), directions
    await page.context.close()
