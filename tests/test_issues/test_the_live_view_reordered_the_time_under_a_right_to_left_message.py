"""In the live view, the line under a message that began in Hebrew or Arabic (its time;
for a reply, its agent, service and status) took the message's right-to-left direction,
and read "PM 11:41:15 ,12/7/2026". The line reads left to right, an agent's name in it
isolated, whatever the message's direction; the message's words keep their own."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, expect

from tests.test_browser_live import Live, browser, live, open_page

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]
__all__ = ["browser", "live"]

DANA = "447911000517"


async def test_the_line_under_a_right_to_left_message_reads_left_to_right(
    live: Live, browser: Browser
) -> None:
    await live.say(DANA, "مرحبا, my order?")
    page = await open_page(browser, await live.page_url("support", f"wa:{DANA}", "alice"))
    bubble = page.locator("#log .msg.inbound").first
    await expect(bubble).to_contain_text("مرحبا")
    direction = "el => getComputedStyle(el).direction"
    assert await bubble.evaluate(direction) == "rtl"  # the words keep their own
    assert await bubble.locator("small").evaluate(direction) == "ltr"
    await page.context.close()
