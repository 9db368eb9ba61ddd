"""While the bot's Redis was down, each open web chat connected again every second, for as
long as the outage lasted: the bot took the socket, could not read its history and closed
it (1011), and the page, having seen it open, started its back-off over from one second
each time. Every visitor's page hammered a bot that was trying to recover. The back-off
starts over only once the chat has its history now: 1, 2, 4 seconds... as when the bot
is down."""

from __future__ import annotations

import itertools
import time

import pytest
from playwright.async_api import expect

from bench.procs import Child
from tests.botprocess import free_port
from tests.conftest import BotFactory

pytestmark = pytest.mark.browser

ATTEMPTS = 4


async def test_a_chat_whose_socket_the_bot_closes_at_once_backs_off(
    make_bot: BotFactory, private_redis_server: Child
) -> None:
    from tests.test_browser import TIMEOUT_MS, launched_chromium  # skips without it

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    await make_bot(whatsapp=False, redis_url=private_redis_server.url, port=port, public_url=base)
    async with launched_chromium() as browser:
        page = await (await browser.new_context()).new_page()
        await page.goto(base + "/")
        await expect(page.locator("#status")).to_have_text("online", timeout=TIMEOUT_MS)
        private_redis_server.stop()
        attempts: list[float] = []
        page.on("websocket", lambda _: attempts.append(time.monotonic()))
        await page.reload()
        await expect(page.locator("#status")).to_have_text("reconnecting\u2026")
        deadline = time.monotonic() + 30
        while len(attempts) < ATTEMPTS and time.monotonic() < deadline:
            await page.wait_for_timeout(100)
        assert len(attempts) >= ATTEMPTS
        gaps = [later - earlier for earlier, later in itertools.pairwise(attempts)]
        assert gaps[ATTEMPTS - 2] >= 3.5, gaps  # 1 s, 2 s, then 4 s
