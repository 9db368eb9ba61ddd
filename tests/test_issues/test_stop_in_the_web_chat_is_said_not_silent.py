"""STOP in the web chat muted the visitor without a word; now the opt-out is taken, the page is
told (and told again after a reload), and START says the visitor is back."""

from __future__ import annotations

import aiohttp
import pytest
from playwright.async_api import Browser, expect

from tests import test_browser as chat
from tests.botprocess import BotProcess
from tests.conftest import BotFactory
from tests.test_webchat import next_message, open_chat

bot = chat.bot
browser = chat.browser


async def next_consent(socket: aiohttp.ClientWebSocketResponse) -> bool:
    while True:
        frame = await socket.receive_json(timeout=5)
        if frame["type"] == "consent":
            opted_out: bool = frame["opted_out"]
            return opted_out


async def test_stop_and_start_are_told_over_the_socket_and_kept(make_bot: BotFactory) -> None:
    service = await make_bot(whatsapp=False)
    socket, _ = await open_chat(service)
    await socket.send_json({"type": "message", "id": "m1", "text": "hi"})
    await next_message(socket)
    await socket.send_json({"type": "message", "id": "m2", "text": "stop"})
    assert await next_consent(socket) is True
    await service.settle()
    await socket.close()

    socket = await service.client.ws_connect("/webchat/socket")
    assert (await socket.receive_json(timeout=5))["opted_out"] is True
    await socket.send_json({"type": "message", "id": "m3", "text": "START"})
    assert await next_consent(socket) is False
    await service.settle()
    await socket.close()

    socket = await service.client.ws_connect("/webchat/socket")
    assert (await socket.receive_json(timeout=5))["opted_out"] is False
    await socket.close()


@pytest.mark.browser
async def test_the_visitor_sees_that_they_opted_out_and_that_they_are_back(
    bot: BotProcess, browser: Browser
) -> None:
    page = await chat.open_chat(browser, bot.url)
    await chat.press_enter(page, "hi")
    await chat.expect_log(page, "hi", chat.WELCOME)
    await chat.press_enter(page, "STOP")
    lines = page.locator("#log .info")
    await expect(lines).to_have_count(1, timeout=chat.TIMEOUT_MS)
    await expect(lines).to_contain_text("opted out")
    await expect(lines).to_contain_text("no more messages")
    await expect(lines).to_contain_text("START")

    await page.reload()
    await chat.expect_log(page, "hi", chat.WELCOME, "STOP")
    await expect(lines).to_have_count(1, timeout=chat.TIMEOUT_MS)
    await expect(lines).to_contain_text("opted out")

    await chat.press_enter(page, "start")
    await expect(lines).to_have_count(2, timeout=chat.TIMEOUT_MS)
    await expect(lines.nth(1)).to_contain_text("You're back")
    await page.context.close()
