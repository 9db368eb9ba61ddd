"""In the live view, after "Send template" the template's variables kept their values
(A-17, shipped), where the reply box, the buttons and the file forms are cleared once
they have sent: a second click, a while later, sent the customer the same template again.
The template's variables are cleared once it has gone, as the other forms are."""

from __future__ import annotations

import time

import pytest
from playwright.async_api import Browser, expect

from tests.test_browser_live import Live, browser, live, open_page, until

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]
__all__ = ["browser", "live"]

DORA = "447911000301"


async def test_a_sent_template_s_variables_are_cleared(live: Live, browser: Browser) -> None:
    await live.say(DORA, "hi", timestamp=int(time.time()) - 25 * 3600)  # outside the window
    page = await open_page(browser, await live.page_url("support", f"wa:{DORA}", "alice"))
    variables = page.locator("#template-variables")
    await variables.get_by_label("order number").fill("A-17")
    await variables.get_by_label("status").fill("shipped")
    await page.get_by_role("button", name="Send template").click()
    await until(lambda: [s for s in live.whatsapp.graph.sent if s.to == DORA])
    await expect(page.locator("#log .msg.outbound")).to_have_count(1)
    await expect(variables.get_by_label("order number")).to_have_value("")
    await expect(variables.get_by_label("status")).to_have_value("")
    await page.context.close()
