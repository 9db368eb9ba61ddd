"""The widget opened with the keyboard left the focus outside the chat.

As a keyboard user saw it: Tab to the launcher, Enter: the panel opened, but the focus
stayed on the launcher, and the next Tab went back to the top of the shop's page; the
chat's input could be reached only with Shift+Tab, and Escape did not close the panel.
Opening the chat puts the keyboard in its input; Escape closes it, and the focus goes
back to the launcher.
"""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, expect

from tests.botprocess import BotProcess
from tests.test_browser import TIMEOUT_MS
from tests.test_widget_browser import TITLE, Shop, browser, chat, site

__all__ = ["browser", "site"]

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]


async def test_the_keyboard_goes_into_the_chat_and_escape_closes_it(
    site: tuple[BotProcess, Shop], browser: Browser
) -> None:
    _, shop = site
    context = await browser.new_context()
    page = await context.new_page()
    await page.goto(shop.origin + "/")
    launcher = page.locator("#switchboard-widget .launcher")
    await expect(launcher).to_have_attribute("aria-label", TITLE, timeout=TIMEOUT_MS)
    await launcher.focus()
    await page.keyboard.press("Enter")
    await expect(chat(page).locator("#status")).to_have_text("online", timeout=TIMEOUT_MS)
    await expect(chat(page).locator("#text")).to_be_focused(timeout=TIMEOUT_MS)
    await page.keyboard.type("hours")
    await expect(chat(page).locator("#text")).to_have_value("hours")
    await page.keyboard.press("Escape")
    await expect(page.locator("#switchboard-widget .panel")).to_be_hidden()
    await expect(launcher).to_be_focused()
    await context.close()
