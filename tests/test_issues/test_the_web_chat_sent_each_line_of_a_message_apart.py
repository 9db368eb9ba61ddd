"""The web chat's box was one line: Shift+Enter sent what was typed so far (a message in
two, "shift" then "enter"), and a pasted address lost its line breaks. The box takes
several lines now: Shift+Enter starts a new one, Enter sends them as one message."""

from __future__ import annotations

from playwright.async_api import Browser, expect

from tests.botprocess import BotProcess
from tests.test_browser import TIMEOUT_MS, bot, browser, open_chat

__all__ = ["bot", "browser"]  # the fixtures, used by name


async def test_shift_enter_starts_a_line_and_enter_sends_them_as_one(
    bot: BotProcess, browser: Browser
) -> None:
    page = await open_chat(browser, bot.url)
    box = page.locator("#text")
    await box.press_sequentially("10 Downing Street")
    await box.press("Shift+Enter")
    await box.press_sequentially("London")
    await expect(box).to_have_value("10 Downing Street\nLondon")
    await expect(page.locator("#log .msg.inbound")).to_have_count(0)
    await box.press("Enter")
    inbound = page.locator("#log .msg.inbound")
    await expect(inbound).to_have_count(1, timeout=TIMEOUT_MS)
    assert (await inbound.first.inner_text()).startswith("10 Downing Street\nLondon")
    await expect(box).to_have_value("")
    await expect(page.locator("#log .msg.outbound")).to_have_count(1, timeout=TIMEOUT_MS)
    # The server kept the lines: the history after a reload shows them so.
    await page.reload()
    await expect(page.locator("#log .msg.inbound")).to_have_count(1, timeout=TIMEOUT_MS)
    assert (await page.locator("#log .msg.inbound").first.inner_text()).startswith(
        "10 Downing Street\nLondon"
    )
    await page.context.close()
