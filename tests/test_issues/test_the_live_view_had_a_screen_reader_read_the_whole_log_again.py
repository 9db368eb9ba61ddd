"""In the live view the conversation's log was a polite live region, and every event of
the stream (a claim, a status, any message) drew it again whole: a screen reader read
the whole history again each time, 500 messages for a claim. The log is no live region
now; a region of its own says each new message once, and says nothing for a claim."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, expect

from tests.test_browser_live import Live, browser, live, open_page

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]
__all__ = ["browser", "live"]

HANK = "447911000541"


async def test_a_new_message_is_said_once_and_a_claim_not_at_all(
    live: Live, browser: Browser
) -> None:
    await live.say(HANK, "is my table booked?")
    page = await open_page(browser, await live.page_url("support", f"wa:{HANK}", "alice"))
    await expect(page.locator("#log .msg").first).to_contain_text("is my table booked?")
    assert await page.locator("#log").get_attribute("aria-live") is None
    said = page.locator("#said")
    assert await said.get_attribute("aria-live") == "polite"
    await live.say(HANK, "for 8 people")
    await expect(said).to_have_text("Customer: for 8 people")
    cid = (await live.api("sales", "GET", "/v1/conversations"))["conversations"][0]["id"]
    await live.api("sales", "POST", f"/v1/conversations/{cid}/claim", {"agent": "bob"})
    await expect(page.locator("#holder")).to_contain_text("bob of sales holds")
    await expect(said).to_have_text("Customer: for 8 people")
    await page.context.close()
