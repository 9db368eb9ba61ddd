"""A double-click (a double tap) on the widget's launcher opened two chat frames, each with
a socket of its own, and the close button of the one on screen no longer closed the panel: on a
phone, full screen with the launcher hidden, the visitor could not close the chat but by
reloading the page. The second click waits for the first one's visitor token now, and
there is one frame."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, expect

from tests.botprocess import BotProcess
from tests.test_browser import TIMEOUT_MS
from tests.test_widget_browser import PHONE, TITLE, Shop, browser, chat, site

__all__ = ["browser", "site"]

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]


async def test_a_double_click_opens_one_frame_that_closes(
    site: tuple[BotProcess, Shop], browser: Browser
) -> None:
    _, shop = site
    context = await browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)  # type: ignore[arg-type]
    page = await context.new_page()
    await page.goto(shop.origin + "/")
    launcher = page.locator("#switchboard-widget .launcher")
    await expect(launcher).to_have_attribute("aria-label", TITLE, timeout=TIMEOUT_MS)
    await launcher.dblclick()
    await expect(chat(page).locator("#status")).to_have_text("online", timeout=TIMEOUT_MS)
    await expect(page.locator("#switchboard-widget iframe")).to_have_count(1)
    await chat(page).get_by_role("button", name="Close chat").click()
    await expect(page.locator("#switchboard-widget .panel")).to_be_hidden()
    await expect(launcher).to_be_visible()
    await context.close()
