"""The live view said a customer who had never written "last wrote more than 24 hours
ago".

As an agent saw it, on a WhatsApp conversation their service started with a template:
only a template could be sent, rightly, but the page gave the reason of a closed window.
It says the customer has not written yet.
"""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, expect

from tests.test_browser_live import NUMBER, TEMPLATE, Live, browser, live, open_page

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]
__all__ = ["browser", "live"]

HAL = "+447911000701"


async def test_the_reason_is_that_they_have_not_written(live: Live, browser: Browser) -> None:
    template = {"name": TEMPLATE["name"], "language": TEMPLATE["language"]}
    body = {
        "number": NUMBER,
        "identity": HAL,
        "template": template | {"variables": ["A-1", "sent"]},
    }
    await live.api("support", "POST", "/v1/conversations", body)
    page = await open_page(browser, await live.page_url("support", f"phone:{HAL}", "alice"))
    await expect(page.locator("#why")).to_contain_text("has not written")
    await page.context.close()
