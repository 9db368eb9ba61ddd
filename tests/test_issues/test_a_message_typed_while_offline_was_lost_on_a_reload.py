"""A message the visitor typed while the chat could not reach the server (a train's
tunnel, a laptop waking up) waited on the page, "sending", to go with the next
connection; a reload of the page in the meantime lost it without a word. The page keeps
such messages in the tab's session storage now: after a reload they show again, after
the history, and go on the new connection, once."""

from __future__ import annotations

import json

import pytest
from playwright.async_api import Browser, WebSocketRoute

from tests.botprocess import BotProcess
from tests.test_browser import WELCOME, bot, browser, expect_log, open_chat, press_enter

__all__ = ["bot", "browser"]

pytestmark = pytest.mark.browser


async def test_a_message_not_yet_taken_goes_after_a_reload(
    bot: BotProcess, browser: Browser
) -> None:
    page = await open_chat(browser, bot.url)
    await expect_log(page)  # connected: the history came, and it is empty
    cut = True

    async def route(page_side: WebSocketRoute) -> None:
        server = page_side.connect_to_server()

        def from_page(message: str | bytes) -> None:
            if cut and isinstance(message, str) and json.loads(message)["type"] == "message":
                return  # lost on the way: the page waits for its ack
            server.send(message)

        page_side.on_message(from_page)

    await page.route_web_socket("**/webchat/socket*", route)
    await page.reload()
    await expect_log(page)
    await press_enter(page, "are you there?")
    await expect_log(page, "are you there?")
    assert await page.locator("#log .msg.sending").count() == 1
    cut = False
    await page.reload()
    await expect_log(page, "are you there?", WELCOME)
    await page.reload()  # taken once, and kept no more
    await expect_log(page, "are you there?", WELCOME)
