"""In the live view, a photo the agent sent showed as text, "[image] Your parcel
http://…/media/med_…?sig=…", the file's signed address, and a document alike, where a
customer's photo shows in its bubble and their document as a link that downloads it. The
agent's own files show as the customer's do; a file sent by its address shows as a link."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Browser, expect

from tests.test_browser_live import Live, browser, live, open_page, png, until

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]
__all__ = ["browser", "live"]

FRED = "447911000501"


async def test_the_agent_s_files_show_as_files(live: Live, browser: Browser) -> None:
    graph = live.whatsapp.graph
    await live.say(FRED, "can you send the photo?")
    page = await open_page(browser, await live.page_url("support", f"wa:{FRED}", "alice"))
    await expect(page.locator("#log .msg").first).to_contain_text("can you send the photo?")
    picture = {"name": "parcel.png", "mimeType": "image/png", "buffer": png(40, 30)}
    await page.locator("#media-file").set_input_files(picture)
    await page.locator("#media-caption").fill("Your parcel")
    await page.get_by_role("button", name="Send attachment").click()
    await until(lambda: [s for s in graph.sent if s.to == FRED and "image" in s.body])
    outbound = page.locator("#log .msg.outbound")
    await expect(outbound.last).to_contain_text("Your parcel")
    image = outbound.last.locator("img")
    await expect(image).to_have_attribute("src", re.compile(r"^blob:"))
    assert await until(lambda: image.evaluate("img => img.complete && img.naturalWidth")) == 40
    pdf = {"name": "invoice-9.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 x"}
    await page.locator("#media-file").set_input_files(pdf)
    await page.get_by_role("button", name="Send attachment").click()
    await until(lambda: [s for s in graph.sent if s.to == FRED and "document" in s.body])
    await expect(outbound.last.locator("a")).to_have_text("📎 invoice-9.pdf")
    await page.locator("#media-type").select_option("image")
    await page.locator("#media-url").fill("https://files.example.com/box.png")
    await page.get_by_role("button", name="Send attachment").click()
    await expect(outbound.last.locator("a")).to_have_attribute(
        "href", "https://files.example.com/box.png"
    )
    shown = await page.locator("#log").inner_text()
    assert "/media/" not in shown and "sig=" not in shown, shown
    await page.context.close()
