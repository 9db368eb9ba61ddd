"""Once the web chat had taken its ``webchat.messages_per_hour`` from all visitors, a
visitor's message stayed greyed, "sending", for up to an hour, and the page said nothing:
the server's answer says why ("The chat takes no more messages for now: it is sent again
later.") and when, and the page kept the message to send it then, but showed neither.
A wait longer than the visitor's own pace is said now, once, above the messages kept."""

from __future__ import annotations

from collections.abc import Iterator

import aiohttp
import pytest
from playwright.async_api import Browser, expect

from adapters import webchat
from tests.botprocess import BotProcess
from tests.test_browser import TIMEOUT_MS, browser, open_chat, press_enter, serving

__all__ = ["browser"]

pytestmark = pytest.mark.browser

MOST = 100
"""The least ``webchat.messages_per_hour`` the config file takes."""


@pytest.fixture
def bot() -> Iterator[BotProcess]:
    with serving({"webchat": {"messages_per_hour": MOST}}) as process:
        yield process


async def spend_the_hour(url: str) -> None:
    """Other visitors send the chat's hour of messages, each at their own pace."""
    visitors = MOST // webchat.MESSAGE_BURST
    taken = 0
    for visitor in range(visitors):
        jar = aiohttp.CookieJar(unsafe=True)
        async with aiohttp.ClientSession(cookie_jar=jar) as session:
            await (await session.get(url + "/")).read()  # the visitor cookie
            socket = await session.ws_connect(url + "/webchat/socket", headers={"Origin": url})
            assert (await socket.receive_json(timeout=10))["type"] == "history"
            for n in range(webchat.MESSAGE_BURST):
                frame = {"type": "message", "id": f"v{visitor}m{n}", "text": "hello"}
                await socket.send_json(frame)
            while taken < (visitor + 1) * webchat.MESSAGE_BURST:
                answer = await socket.receive_json(timeout=10)
                assert answer["type"] != "error", answer
                taken += answer["type"] == "ack"
            await socket.close()


async def test_a_message_held_for_the_hour_says_why(bot: BotProcess, browser: Browser) -> None:
    await spend_the_hour(bot.url)
    page = await open_chat(browser, bot.url)
    await expect(page.locator("#status")).to_have_text("online", timeout=TIMEOUT_MS)
    await press_enter(page, "is anyone there?")
    await press_enter(page, "hello?")
    await expect(page.locator("#log .notice")).to_have_text([webchat.CHAT_FULL], timeout=TIMEOUT_MS)
    kept = page.locator("#log .msg.inbound")
    await expect(kept).to_have_text(["is anyone there?", "hello?"])
    for message in await kept.all():  # kept to be sent later, not refused
        await expect(message).to_have_attribute("data-state", "sending")
    await page.context.close()
