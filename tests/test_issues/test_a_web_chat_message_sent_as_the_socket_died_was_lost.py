"""A visitor's message written into a web chat socket that then died was never sent again:
its bubble stayed grey for good, and the server never had it. And one the server had, whose
"ack" was lost with the connection, stayed grey after the reconnect, though the history
showed it. The page sends every unconfirmed message again when it reconnects."""

from __future__ import annotations

import json

import pytest
from playwright.async_api import Browser, WebSocketRoute, expect

from tests.botprocess import BotProcess
from tests.test_browser import HOURS, TIMEOUT_MS, WELCOME, bot, browser, expect_log, open_chat
from tests.test_browser import press_enter as say

__all__ = ["bot", "browser"]

pytestmark = pytest.mark.browser


def _type_of(message: str | bytes) -> str:
    return str(json.loads(message).get("type")) if isinstance(message, str) else ""


async def _converse_with_a_dying_first_socket(
    bot: BotProcess, browser: Browser, *, lose: str
) -> None:
    """The first socket loses the visitor's second message (``lose="message"``) or the
    server's ack of it (``lose="ack"``), then closes; the ones after it work."""
    page = await open_chat(browser, bot.url)
    sockets = 0

    async def route(page_side: WebSocketRoute) -> None:
        nonlocal sockets
        sockets += 1
        server = page_side.connect_to_server()
        if sockets > 1:
            return  # forwarded both ways as they come
        said = 0

        async def from_page(message: str | bytes) -> None:
            nonlocal said
            said += _type_of(message) == "message"
            if said == 2 and lose == "message":
                await page_side.close()
                return
            server.send(message)

        async def from_server(message: str | bytes) -> None:
            if said == 2 and lose == "ack" and _type_of(message) == "ack":
                await page_side.close()
                return
            page_side.send(message)

        page_side.on_message(from_page)
        server.on_message(from_server)

    await page.route_web_socket("**/webchat/socket*", route)
    await page.goto(bot.url)
    await say(page, "hi")
    await expect_log(page, "hi", WELCOME)
    await say(page, "your hours?")
    await expect_log(page, "hi", WELCOME, "your hours?", HOURS)
    await expect(page.locator("#log .msg.inbound").last).to_have_attribute(
        "data-state", "sent", timeout=TIMEOUT_MS
    )
    assert sockets >= 2
    await page.context.close()


async def test_a_message_lost_with_its_socket_is_sent_again(
    bot: BotProcess, browser: Browser
) -> None:
    await _converse_with_a_dying_first_socket(bot, browser, lose="message")


async def test_a_message_whose_ack_was_lost_is_marked_sent_once_back(
    bot: BotProcess, browser: Browser
) -> None:
    await _converse_with_a_dying_first_socket(bot, browser, lose="ack")
