"""A visitor reading older messages of the web chat was pulled down to the end each time a
service said it was typing (services repeat it every few seconds), and the reply that came
next showed no "New messages" button: README says a reply that comes while they read older
messages leaves them there, with that button. The typing line scrolls the log only for a
visitor at its end."""

from __future__ import annotations

import json

from playwright.async_api import Browser, expect

from tests.botprocess import BotProcess
from tests.test_browser import (
    TIMEOUT_MS,
    bot,
    browser,
    welcomed,
)

__all__ = ["bot", "browser"]  # the fixtures, used by name


async def test_typing_leaves_a_reading_visitor_where_they_are(
    bot: BotProcess, browser: Browser
) -> None:
    page, sockets = await welcomed(browser, bot.url)
    for n in range(30):
        message = {"id": f"snd_{n}", "direction": "outbound", "status": "read"}
        sockets[-1].send(json.dumps({"type": "message", "message": message | {"text": f"#{n}"}}))
    await expect(page.locator("#log .msg")).to_have_count(32, timeout=TIMEOUT_MS)
    await page.evaluate("document.getElementById('log').scrollTop = 0")
    sockets[-1].send(json.dumps({"type": "typing", "typing": True, "agent": "Maya"}))
    await expect(page.locator("#typist")).to_have_text("Maya is typing", timeout=TIMEOUT_MS)
    assert await page.evaluate("document.getElementById('log').scrollTop") == 0
    reply = {"id": "snd_reply", "direction": "outbound", "status": "read", "text": "Here"}
    sockets[-1].send(json.dumps({"type": "message", "message": reply}))
    await expect(page.locator("#more")).to_be_visible(timeout=TIMEOUT_MS)
    assert await page.evaluate("document.getElementById('log').scrollTop") == 0
    await page.context.close()
