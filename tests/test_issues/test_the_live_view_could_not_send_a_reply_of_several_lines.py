"""The live view's reply box was one line: an agent could not send an address, a list or
a greeting and a question on lines of their own, which the web chat's visitors and the
API's services can. It takes several lines now: Shift+Enter starts a new one, Enter
sends, as in the web chat."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, expect

from tests.test_browser_live import Live, browser, live, open_page, until

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]
__all__ = ["browser", "live"]

ELLA = "447911000401"


async def test_a_reply_of_several_lines_goes_as_typed(live: Live, browser: Browser) -> None:
    await live.say(ELLA, "where do I send it?")
    page = await open_page(browser, await live.page_url("support", f"wa:{ELLA}", "alice"))
    await expect(page.locator("#log .msg").first).to_contain_text("where do I send it?")
    box = page.get_by_label("Reply", exact=True)
    await box.click()
    await box.press_sequentially("Our address:")
    await box.press("Shift+Enter")
    await box.press_sequentially("1 High Street")
    await box.press("Enter")
    sent = await until(lambda: [s for s in live.whatsapp.graph.sent if s.to == ELLA])
    assert sent[-1].text == "Our address:\n1 High Street"
    await expect(box).to_have_value("")
    await page.context.close()
