"""The web chat showed a message's time alone, also days later: a visitor back after three
days read "07:57" under messages of another day, the date only in a tooltip a phone never
shows. A message of another day shows its day with its time. And the chat's name was no
heading, so a screen reader's list of headings found none."""

from __future__ import annotations

import time

from playwright.async_api import Browser, expect

from tests.botprocess import BotProcess
from tests.test_browser import WELCOME, bot, browser, expect_log, press_enter

__all__ = ["bot", "browser"]  # the fixtures, used by name

DAY = 24 * 3600


async def test_a_message_of_another_day_shows_its_day(bot: BotProcess, browser: Browser) -> None:
    context = await browser.new_context()
    page = await context.new_page()
    await page.goto(bot.url)
    await press_enter(page, "hi")
    await expect_log(page, "hi", WELCOME)
    today = await page.locator("#log .msg").first.get_attribute("data-time")
    assert today is not None and "," not in today
    await expect(page.get_by_role("heading", level=1)).to_have_text("Chat with us")

    later = await context.new_page()
    await later.clock.install(time=time.time() + 3 * DAY)
    await later.goto(bot.url)
    await expect_log(later, "hi", WELCOME)
    day = await later.locator("#log .msg").first.get_attribute("data-time")
    assert day is not None and day.endswith(today) and day != today, (day, today)
    await context.close()
