"""On a phone, opening the web chat's emoji picker shortened the message list without
scrolling it: the bot's last reply went under the picker, out of sight. The newest
messages stay in sight now when the visitor was reading them."""

from __future__ import annotations

from playwright.async_api import Browser, expect

from tests.botprocess import BotProcess
from tests.test_browser import HOURS, TIMEOUT_MS, WELCOME, bot, browser, expect_log, press_enter

__all__ = ["bot", "browser"]  # the fixtures, used by name


async def test_the_newest_reply_stays_in_sight(bot: BotProcess, browser: Browser) -> None:
    context = await browser.new_context(viewport={"width": 375, "height": 520})
    page = await context.new_page()
    await page.goto(bot.url)
    said = ["hi", "hours?", "hours, again?", "and your hours?"]
    for n, text in enumerate(said):
        await press_enter(page, text)
        await expect(page.locator("#log .msg.outbound")).to_have_count(n + 1, timeout=TIMEOUT_MS)
    await expect_log(page, "hi", WELCOME, *[x for t in said[1:] for x in (t, HOURS)])
    await page.locator("#emoji").click()
    await expect(page.locator("#emojis")).to_be_visible()
    in_sight = """() => {
      const log = document.getElementById("log").getBoundingClientRect();
      const last = [...document.querySelectorAll("#log .msg")].pop().getBoundingClientRect();
      return last.bottom <= log.bottom + 1 && last.top >= log.top;
    }"""
    await page.wait_for_function(in_sight, timeout=TIMEOUT_MS)
    await context.close()
