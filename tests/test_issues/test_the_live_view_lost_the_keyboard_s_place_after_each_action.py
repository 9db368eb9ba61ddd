"""In the live view, the keyboard's place went to the page's body after every action and
every live event: the tabs are drawn again on each event, and Claim and Release hide the
button that was pressed. A keyboard or screen-reader user lost their place each time. The
tab that had the focus keeps it, and Claim's focus goes to Release (and back)."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, expect

from tests.test_browser_live import Live, browser, live, open_page

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]
__all__ = ["browser", "live"]

DORA = "447911000301"


async def test_the_focus_stays_where_the_keyboard_left_it(live: Live, browser: Browser) -> None:
    await live.say(DORA, "hello, anyone?")
    page = await open_page(browser, await live.page_url("support", f"wa:{DORA}", "alice"))
    await expect(page.locator("#log .msg").first).to_contain_text("hello, anyone?")
    tab = page.locator("#tabs [role=tab]").first
    await tab.focus()
    await page.keyboard.press("Enter")
    await live.say(DORA, "still there?")  # a live event: the tabs are drawn again
    await expect(page.locator("#log .msg").last).to_contain_text("still there?")
    assert await page.evaluate("document.activeElement.getAttribute('role')") == "tab"

    await page.locator("#claim-button").focus()
    await page.keyboard.press("Enter")
    await expect(page.locator("#release-button")).to_be_visible()
    await expect(page.locator("#release-button")).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(page.locator("#claim-button")).to_be_focused()
    await page.context.close()
