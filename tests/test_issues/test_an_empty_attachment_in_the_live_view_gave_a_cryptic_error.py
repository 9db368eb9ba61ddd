"""An attachment with neither a file nor an address gave a cryptic error in the live view.

As an agent saw it: "Send attachment" with nothing chosen said "media.url: a string of up
to 2048 characters". It says to choose a file or give its address, and sends nothing.
"""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, expect

from tests.test_browser_live import Live, browser, live, open_page

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]
__all__ = ["browser", "live"]

GUS = "447911000601"


async def test_nothing_chosen_is_said_plainly(live: Live, browser: Browser) -> None:
    await live.say(GUS, "hello")
    page = await open_page(browser, await live.page_url("support", f"wa:{GUS}", "alice"))
    await expect(page.locator("#log .msg").first).to_contain_text("hello")
    sent = len(live.whatsapp.graph.sent)
    await page.get_by_role("button", name="Send attachment").click()
    await expect(page.locator("#error")).to_have_text("Choose a file, or give its address.")
    assert len(live.whatsapp.graph.sent) == sent
    await page.context.close()
