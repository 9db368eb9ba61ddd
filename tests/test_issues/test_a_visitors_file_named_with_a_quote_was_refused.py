"""A web chat visitor could not send a file whose name has a double quote
('report "final".pdf', a name macOS and Linux allow): the page said "The file was not
sent: filename: 1 to 240 characters, no controls or quotes". The page sends it under a
name the server keeps, the quotes made single."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, expect

from tests.botprocess import BotProcess
from tests.test_browser import TIMEOUT_MS, WELCOME, bot, browser, open_chat, press_enter

__all__ = ["bot", "browser"]

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


async def test_a_file_named_with_quotes_is_sent(bot: BotProcess, browser: Browser) -> None:
    page = await open_chat(browser, bot.url)
    await press_enter(page, "hi")
    await expect(page.locator("#log .msg.outbound")).to_have_text([WELCOME], timeout=TIMEOUT_MS)
    sent = {"name": 'report "final".pdf', "mimeType": "application/pdf", "buffer": PDF}
    await page.locator("#file").set_input_files(files=[sent])
    bubble = page.locator("#log .msg.inbound").last
    await expect(bubble).to_have_attribute("data-state", "sent", timeout=TIMEOUT_MS)
    await expect(page.locator("#log .notice")).to_have_count(0)
    await page.reload()  # the history shows the name the server kept
    kept = page.locator("#log .msg.inbound a.file")
    await expect(kept).to_have_text("\U0001f4ce report 'final'.pdf", timeout=TIMEOUT_MS)
    await page.context.close()
