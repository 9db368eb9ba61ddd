"""The live view's collision warning stayed after the claim ended, and on other
conversations.

As an agent saw it: their reply warned that bob of sales held the conversation; bob
released it ("Nobody holds this conversation.") and the warning stayed above those
words; switching to the customer's other conversation, it stayed there too, as did the
red error of a failed action. What the page says of an action is of that conversation,
while it holds (the switch is the page's ``choose``).
"""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, expect

from tests.test_browser_live import Live, browser, live, open_page

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]
__all__ = ["browser", "live"]

ERIN = "447911000401"


async def test_the_warning_goes_with_the_claim_and_the_conversation(
    live: Live, browser: Browser
) -> None:
    await live.say(ERIN, "hello?")
    page = await open_page(browser, await live.page_url("support", f"wa:{ERIN}", "alice"))
    await expect(page.locator("#log .msg").first).to_contain_text("hello?")
    conversations = (await live.api("sales", "GET", "/v1/conversations"))["conversations"]
    cid = next(c["id"] for c in conversations if c["customer"] == f"wa:{ERIN}")
    await live.api("sales", "POST", f"/v1/conversations/{cid}/claim", {"agent": "bob"})
    await expect(page.locator("#holder")).to_contain_text("bob of sales holds")
    await page.locator("#text").fill("On it")
    await page.locator("#reply button[type=submit]").click()
    await expect(page.locator("#warning")).to_contain_text("bob of sales")
    await live.api("sales", "POST", f"/v1/conversations/{cid}/release", {"agent": "bob"})
    await expect(page.locator("#holder")).to_have_text("Nobody holds this conversation.")
    await expect(page.locator("#warning")).to_be_hidden()
    await page.context.close()
