"""The live view's log jumped to its end on every event about the profile.

As an agent saw it: reading the older messages of a long conversation (scrolled to the
top), each event (a delivery receipt, another service's reply) pulled the log down to
its end. An agent reading back stays where they read; one at the end follows it.
"""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, expect

from tests.test_browser_live import Live, browser, live, open_page

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]
__all__ = ["browser", "live"]

FAY = "447911000501"


async def test_reading_back_is_not_pulled_down(live: Live, browser: Browser) -> None:
    for n in range(30):
        await live.say(FAY, f"line {n} " + "of a long story " * 8)
    page = await open_page(browser, await live.page_url("support", f"wa:{FAY}", "alice"))
    await expect(page.locator("#log .msg")).to_have_count(30)
    log = page.locator("#log")
    await log.evaluate("(el) => { el.scrollTop = 0; }")
    conversations = (await live.api("sales", "GET", "/v1/conversations"))["conversations"]
    cid = next(c["id"] for c in conversations if c["customer"] == f"wa:{FAY}")
    await live.api("sales", "POST", f"/v1/conversations/{cid}/messages", {"text": "on it"})
    await expect(page.locator("#log .msg")).to_have_count(31)
    assert await log.evaluate("(el) => el.scrollTop") == 0

    await log.evaluate("(el) => { el.scrollTop = el.scrollHeight; }")
    await live.say(FAY, "one more thing")
    await expect(page.locator("#log .msg")).to_have_count(32)
    at_end = "(el) => el.scrollHeight - el.scrollTop - el.clientHeight < 40"
    assert await log.evaluate(at_end)
    await page.context.close()
