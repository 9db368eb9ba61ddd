"""A notice of the web chat (a file too big, a type not taken, a refused message) was
added at the end of the log without scrolling it: in a chat long enough to scroll, the
customer never saw why their file was not sent. The log scrolls to a notice now, as it
does to a message."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, expect

from tests.botprocess import BotProcess
from tests.test_browser import TIMEOUT_MS, WELCOME, bot, browser, expect_log
from tests.test_browser import press_enter as say

__all__ = ["bot", "browser"]

pytestmark = pytest.mark.browser

IN_SIGHT = """() => {
  const log = document.getElementById("log").getBoundingClientRect();
  const notice = document.querySelector("#log .notice")?.getBoundingClientRect();
  return !!notice && notice.top >= log.top && notice.bottom <= log.bottom + 1;
}"""


async def test_a_notice_is_scrolled_into_sight(bot: BotProcess, browser: Browser) -> None:
    context = await browser.new_context(viewport={"width": 360, "height": 320})
    page = await context.new_page()
    await page.goto(bot.url)
    await say(page, "hi")
    await expect_log(page, "hi", WELCOME)
    for text in ("one", "two", "three", "four"):
        await say(page, text)
    await expect(page.locator("#log .msg.inbound")).to_have_count(5, timeout=TIMEOUT_MS)
    scrolls = (
        "() => { const l = document.getElementById('log'); "
        "return l.scrollHeight > l.clientHeight + 100; }"
    )
    await page.wait_for_function(scrolls, timeout=TIMEOUT_MS)
    big = {"name": "big.png", "mimeType": "image/png", "buffer": b"\0" * (11 * 1024 * 1024)}
    await page.locator("#file").set_input_files(big)
    await expect(page.locator("#log .notice")).to_contain_text("big.png", timeout=TIMEOUT_MS)
    await page.wait_for_function(IN_SIGHT, timeout=TIMEOUT_MS)
    await context.close()
