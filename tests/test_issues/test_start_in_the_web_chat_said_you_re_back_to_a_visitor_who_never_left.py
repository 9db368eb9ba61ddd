"""A visitor who had never opted out and typed START in the web chat (or START again once
back) was told "You're back: you will get our messages again.", as if they had left. The
page says so only to a visitor it knows opted out; a STOP is still said each time."""

from __future__ import annotations

from playwright.async_api import Browser, expect

from tests.botprocess import BotProcess
from tests.test_browser import HOURS, TIMEOUT_MS, WELCOME, bot, browser, open_chat, press_enter

__all__ = ["bot", "browser"]

BACK = "You're back: you will get our messages again."


async def test_start_is_said_only_to_a_visitor_who_opted_out(
    bot: BotProcess, browser: Browser
) -> None:
    page = await open_chat(browser, bot.url)
    replies = page.locator("#log .msg.outbound")
    lines = page.locator("#log .info")
    await press_enter(page, "START")
    await expect(replies).to_have_text([WELCOME], timeout=TIMEOUT_MS)
    await press_enter(page, "hours")  # its reply comes after anything START was to say
    await expect(replies).to_have_text([WELCOME, HOURS], timeout=TIMEOUT_MS)
    await expect(lines).to_have_count(0)

    await press_enter(page, "STOP")
    await expect(lines).to_have_count(1, timeout=TIMEOUT_MS)
    await press_enter(page, "START")
    await expect(lines.last).to_have_text(BACK, timeout=TIMEOUT_MS)
    await press_enter(page, "START")
    await press_enter(page, "hours")
    await expect(replies).to_have_text([WELCOME, HOURS, HOURS], timeout=TIMEOUT_MS)
    await expect(lines).to_have_count(2)
    await page.context.close()
