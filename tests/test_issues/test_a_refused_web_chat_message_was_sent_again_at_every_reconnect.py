"""A message the web chat refused (past 4,096 characters, say) stayed unconfirmed in the
page: it looked as if it were still being sent, and went again, refused again, at every
reconnect. The refusal names the message now; the page shows it as not sent, and sends
it no more."""

from __future__ import annotations

import json

import pytest
from playwright.async_api import Browser, WebSocketRoute, expect

from tests.botprocess import BotProcess
from tests.test_browser import HOURS, TIMEOUT_MS, WELCOME, bot, browser, expect_log, open_chat
from tests.test_browser import press_enter as say

__all__ = ["bot", "browser"]

pytestmark = pytest.mark.browser


async def test_a_refused_message_is_shown_refused_and_not_sent_again(
    bot: BotProcess, browser: Browser
) -> None:
    page = await open_chat(browser, bot.url)
    sockets: list[WebSocketRoute] = []
    said: list[str] = []

    async def route(page_side: WebSocketRoute) -> None:
        sockets.append(page_side)
        server = page_side.connect_to_server()

        def from_page(message: str | bytes) -> None:
            if isinstance(message, str):
                said.append(str(json.loads(message).get("text", ""))[:10])
            server.send(message)

        page_side.on_message(from_page)

    await page.route_web_socket("**/webchat/socket*", route)
    await page.goto(bot.url)
    await say(page, "hi")
    await expect_log(page, "hi", WELCOME)
    # maxlength stops typing past 4,096; a value set by a script (a paste tool) is not.
    await page.locator("#text").evaluate("e => { e.value = 'x'.repeat(5000); }")
    await page.locator("#text").press("Enter")
    refused = page.locator("#log .msg.inbound").last
    await expect(refused).to_have_attribute("data-state", "refused", timeout=TIMEOUT_MS)
    await sockets[0].close()  # the page connects again
    await say(page, "your hours?")
    await expect(page.locator("#log .msg.outbound").last).to_have_text(HOURS, timeout=TIMEOUT_MS)
    assert said.count("x" * 10) == 1  # sent once, never again
    await page.context.close()
