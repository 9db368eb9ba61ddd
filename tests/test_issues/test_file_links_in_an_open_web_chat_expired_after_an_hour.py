"""A file's link in the web chat is signed for an hour; a chat left open kept the links it
was first shown, and after the hour a click on the customer's own (or the team's) file got
"no such file, or its link has expired" until they reloaded the page. A reconnect brings a
history with freshly signed links, but the page ignored it for messages already shown. It
now renews the links (the link and the image) of the files already shown from it."""

from __future__ import annotations

import json
import re

import pytest
from playwright.async_api import Browser, WebSocketRoute, expect

from tests.botprocess import BotProcess
from tests.test_browser import TIMEOUT_MS, WELCOME, bot, browser, expect_log, open_chat
from tests.test_browser import press_enter as say
from tests.test_browser_media import tiny_png

__all__ = ["bot", "browser"]

pytestmark = pytest.mark.browser

MARK = "?renewed=1"
"""Added to the URLs of the second socket's history: a link signed afresh (two signings in
one second are the same URL, so the test marks them rather than wait for the clock)."""


def _renewed(message: str | bytes) -> str | bytes:
    if not isinstance(message, str):
        return message
    frame = json.loads(message)
    if frame.get("type") != "history":
        return message
    for shown in frame["messages"]:
        if shown.get("media"):
            shown["media"]["url"] += MARK
    return json.dumps(frame)


async def test_a_reconnect_renews_the_links_of_the_files_shown(
    bot: BotProcess, browser: Browser
) -> None:
    page = await open_chat(browser, bot.url)
    sockets: list[WebSocketRoute] = []

    async def route(page_side: WebSocketRoute) -> None:
        sockets.append(page_side)
        server = page_side.connect_to_server()
        renew = len(sockets) > 1
        page_side.on_message(server.send)
        server.on_message(lambda message: page_side.send(_renewed(message) if renew else message))

    await page.route_web_socket("**/webchat/socket*", route)
    await page.goto(bot.url)
    await say(page, "hi")
    await expect_log(page, "hi", WELCOME)
    picture = {"name": "receipt.png", "mimeType": "image/png", "buffer": tiny_png()}
    await page.locator("#file").set_input_files(picture)
    sent = page.locator("#log .msg.inbound").last
    await expect(sent).to_have_attribute("data-state", "sent", timeout=TIMEOUT_MS)
    link, image = sent.locator("a.file"), sent.locator("a.file img")
    first = await link.get_attribute("href")
    assert first and "/media/" in first and MARK not in first
    await sockets[0].close()  # the page connects again, and gets the history again
    await expect(page.locator("#status")).to_have_text("online", timeout=TIMEOUT_MS)
    renewed = re.compile(r"/media/[A-Za-z0-9_-]+" + re.escape(MARK) + "$")
    await expect(link).to_have_attribute("href", renewed, timeout=TIMEOUT_MS)
    await expect(image).to_have_attribute("src", renewed, timeout=TIMEOUT_MS)
    await expect(page.locator("#log .msg")).to_have_count(3)  # renewed, not shown again
    await page.context.close()
