"""A web chat whose connection died without a close (packets dropped: a NAT's timeout, a
Wi-Fi that lost its uplink) kept saying "online", and a message sent into it stayed
"sending" for as long as the link was dead: a browser sees none of the socket's own pings,
and only the operating system (minutes later) tells it. The page now gives a socket up
when a frame the server answers goes unanswered for 10 seconds (a message's "ack"; a
"ping" it sends after 20 quiet seconds, which the server answers with a "pong"), and
connects again, sending what was not confirmed."""

from __future__ import annotations

import asyncio
import json

import pytest
from playwright.async_api import Browser, WebSocketRoute, expect

from tests.botprocess import BotProcess
from tests.test_browser import HOURS, TIMEOUT_MS, WELCOME, bot, browser, expect_log, open_chat
from tests.test_browser import press_enter as say

__all__ = ["bot", "browser"]

pytestmark = pytest.mark.browser

NOTICED_MS = 60_000
"""Ten seconds of silence, then a reconnect: far more, for a slow machine."""


def _type_of(message: str | bytes) -> str:
    return str(json.loads(message).get("type")) if isinstance(message, str) else ""


class Link:
    """The page's sockets through a link that can go dead: from then on, the first
    socket's frames are dropped both ways and nothing is closed; later sockets work."""

    def __init__(self) -> None:
        self.sockets: list[WebSocketRoute] = []
        self.dead = False
        self.pings = 0
        self.ponged = asyncio.Event()

    async def route(self, page_side: WebSocketRoute) -> None:
        self.sockets.append(page_side)
        first = len(self.sockets) == 1
        server = page_side.connect_to_server()

        def from_page(message: str | bytes) -> None:
            self.pings += _type_of(message) == "ping"
            if not (first and self.dead):
                server.send(message)

        def from_server(message: str | bytes) -> None:
            if first and self.dead:
                return
            if _type_of(message) == "pong":
                self.ponged.set()
            page_side.send(message)

        page_side.on_message(from_page)
        server.on_message(from_server)


async def test_a_message_sent_into_a_dead_link_is_sent_again_on_a_new_one(
    bot: BotProcess, browser: Browser
) -> None:
    page = await open_chat(browser, bot.url)
    link = Link()
    await page.route_web_socket("**/webchat/socket*", link.route)
    await page.goto(bot.url)
    await say(page, "hi")
    await expect_log(page, "hi", WELCOME)
    link.dead = True
    await say(page, "your hours?")
    sent = page.locator("#log .msg.inbound").last
    await expect(sent).to_have_attribute("data-state", "sent", timeout=NOTICED_MS)
    await expect_log(page, "hi", WELCOME, "your hours?", HOURS)
    await expect(page.locator("#status")).to_have_text("online")
    assert len(link.sockets) >= 2
    await page.context.close()


async def test_a_quiet_chat_pings_and_notices_a_dead_link(
    bot: BotProcess, browser: Browser
) -> None:
    context = await browser.new_context()
    page = await context.new_page()
    await page.clock.install()  # the page's time, moved on by the test: no waiting on it
    link = Link()
    await page.route_web_socket("**/webchat/socket*", link.route)
    await page.goto(bot.url)
    await say(page, "hi")
    await expect_log(page, "hi", WELCOME)
    await page.clock.fast_forward(22_000)  # quiet for 20 s: the page pings, the server answers
    await asyncio.wait_for(link.ponged.wait(), TIMEOUT_MS / 1000)
    link.dead = True
    await page.clock.fast_forward(22_000)  # pings again, into the dead link
    await page.clock.fast_forward(12_000)  # no answer in 10 s: the socket is given up
    await expect(page.locator("#status")).not_to_have_text("online", timeout=TIMEOUT_MS)
    await page.clock.fast_forward(2_000)  # the reconnect's wait
    await expect(page.locator("#status")).to_have_text("online", timeout=TIMEOUT_MS)
    assert len(link.sockets) == 2 and link.pings >= 2
    await say(page, "your hours?")  # and the new socket works
    await expect_log(page, "hi", WELCOME, "your hours?", HOURS)
    await context.close()
