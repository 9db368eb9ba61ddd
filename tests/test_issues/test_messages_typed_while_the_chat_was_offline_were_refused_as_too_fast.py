"""Messages a visitor typed at a human pace while the web chat's connection was down were
refused as too fast: on the reconnect the page sent its whole queue at once, the server
refused everything past the visitor's burst of 20, and the page showed each "Not sent"
and dropped it, for the visitor to type again. Now the refusal says when the message
would be taken (``retry_after``), and the page keeps it and sends it again then; a client
that sends again sooner is still refused."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest
from playwright.async_api import Browser, WebSocketRoute, expect

from adapters import webchat
from tests.botprocess import BotProcess
from tests.conftest import BotFactory
from tests.test_browser import TIMEOUT_MS, bot, browser
from tests.test_browser import open_chat as open_page
from tests.test_browser import press_enter as say
from tests.test_webchat import open_chat

__all__ = ["bot", "browser"]

QUEUED = 25


async def answer(socket: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
    """The next ack or error frame (the replies and echoes between are skipped)."""
    while True:
        frame: dict[str, Any] = await socket.receive_json(timeout=10)
        if frame["type"] in ("ack", "error"):
            return frame


async def test_a_queue_sent_at_once_is_all_taken_when_its_retry_after_is_followed(
    make_bot: BotFactory,
) -> None:
    bot = await make_bot(whatsapp=False)
    socket, _ = await open_chat(bot)
    frames = {
        f"m{n}": {"type": "message", "id": f"m{n}", "text": f"line {n}"} for n in range(QUEUED)
    }
    for frame in frames.values():  # the page's queue, on its reconnect
        await socket.send_json(frame)
    answers = [await answer(socket) for _ in frames]
    acked = {a["id"] for a in answers if a["type"] == "ack"}
    refused = [a for a in answers if a["type"] == "error"]
    assert len(acked) == webchat.MESSAGE_BURST
    assert [a["id"] for a in refused] == [f"m{n}" for n in range(webchat.MESSAGE_BURST, QUEUED)]
    for error in refused:
        assert error["error"] == webchat.TOO_FAST
        assert 0 < error["retry_after"] <= 1 / webchat.MESSAGES_PER_SECOND
    await socket.send_json(frames[refused[0]["id"]])  # sent again at once: still too fast
    again = await answer(socket)
    assert again["type"] == "error" and again["id"] == refused[0]["id"]

    async def send_again(message_id: str, after: float) -> None:
        await asyncio.sleep(after)  # the wait the server said, as the page keeps it
        await socket.send_json(frames[message_id])

    waiting: set[asyncio.Task[None]] = set()
    for error in [again, *refused[1:]]:
        waiting.add(asyncio.create_task(send_again(error["id"], error["retry_after"])))
    while acked != frames.keys():
        frame = await answer(socket)
        if frame["type"] == "ack":
            acked.add(frame["id"])
        else:
            assert frame["error"] == webchat.TOO_FAST and frame["retry_after"] > 0
            waiting.add(asyncio.create_task(send_again(frame["id"], frame["retry_after"])))
    await asyncio.gather(*waiting)
    await socket.close()
    await bot.sinks["support"].wait_for_count(QUEUED, "message.inbound")
    await bot.settle()  # each of them told once
    told = bot.sinks["support"].events("message.inbound")
    assert sorted(e["data"]["message"]["text"] for e in told) == sorted(
        f["text"] for f in frames.values()
    )


@pytest.mark.browser
async def test_the_page_sends_the_messages_typed_offline_until_all_are_sent(
    bot: BotProcess, browser: Browser
) -> None:
    page = await open_page(browser, bot.url)
    offline = True

    async def route(page_side: WebSocketRoute) -> None:
        if offline:  # the connection is down: each socket closes as it opens
            await page_side.close()
            return
        server = page_side.connect_to_server()
        page_side.on_message(server.send)
        server.on_message(page_side.send)

    await page.route_web_socket("**/webchat/socket*", route)
    await page.goto(bot.url)
    await expect(page.locator("#status")).to_have_text("reconnecting…", timeout=TIMEOUT_MS)
    for n in range(QUEUED):  # typed while the chat reconnects
        await say(page, f"line {n}")
    mine = page.locator("#log .msg.inbound")
    await expect(mine).to_have_count(QUEUED)
    offline = False  # back: the page sends its queue at once, past the pace
    await expect(page.locator("#log .msg.inbound[data-state=sent]")).to_have_count(
        QUEUED, timeout=3 * TIMEOUT_MS
    )
    await expect(page.locator("#log .msg[data-state=refused]")).to_have_count(0)
    await expect(page.get_by_text(webchat.TOO_FAST)).to_have_count(0)
    await page.context.close()
