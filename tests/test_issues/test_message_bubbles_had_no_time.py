"""The web chat's bubbles did not say when a message was sent; each now shows its time, from
the message's timestamp, in the visitor's own time zone."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Browser, expect

from tests import test_browser as chat
from tests.botprocess import BotProcess

pytestmark = pytest.mark.browser
bot = chat.bot
browser = chat.browser
ZONE = "Asia/Kolkata"  # a half-hour offset: UTC shown as local time would not match


async def test_every_bubble_shows_its_local_time_after_a_reload_too(
    bot: BotProcess, browser: Browser
) -> None:
    before = datetime.now(ZoneInfo(ZONE)).strftime("%H:%M")
    context = await browser.new_context(timezone_id=ZONE, locale="en-GB")
    page = await context.new_page()
    await page.goto(bot.url)
    await chat.press_enter(page, "hi")
    await chat.expect_log(page, "hi", chat.WELCOME)
    await page.reload()
    await chat.expect_log(page, "hi", chat.WELCOME)
    after = datetime.now(ZoneInfo(ZONE)).strftime("%H:%M")

    bubbles = page.locator("#log .msg")
    await expect(bubbles).to_have_count(2)
    shown = await bubbles.evaluate_all(
        "bubbles => bubbles.map(b => getComputedStyle(b, '::after').content)"
    )
    assert all(time.strip('"') in (before, after) for time in shown), shown
    await context.close()
