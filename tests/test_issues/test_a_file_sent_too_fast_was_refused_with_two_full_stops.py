"""A web chat visitor who sent more files at once than the chat takes read "The file was
not sent: You are sending faster than the chat takes: wait a moment, then send it
again.." for each file past the tenth: the page put a full stop after the server's reason,
which has its own. The reason ends with one."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, expect

from tests.botprocess import BotProcess
from tests.test_browser import TIMEOUT_MS, bot, browser, open_chat

__all__ = ["bot", "browser"]

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
BURST = 10
"""Files a visitor may send at once."""


async def test_a_file_refused_as_too_fast_says_why_once(bot: BotProcess, browser: Browser) -> None:
    page = await open_chat(browser, bot.url)
    files = [
        {"name": f"page-{n}.pdf", "mimeType": "application/pdf", "buffer": PDF}
        for n in range(BURST + 1)
    ]
    await page.locator("#file").set_input_files(files=files)  # type: ignore[arg-type]
    notice = page.locator("#log .notice")
    await expect(notice).to_have_count(1, timeout=TIMEOUT_MS)
    await expect(notice).to_have_text(
        "The file was not sent: You are sending faster than the chat takes: wait a moment,"
        " then send it again."
    )
    await page.context.close()
