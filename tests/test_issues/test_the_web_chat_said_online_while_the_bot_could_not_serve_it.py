"""While the bot's Redis was down, the web chat said "online" each time its socket opened,
though the bot could not read the chat's history and closed the socket at once: the
visitor saw "online" over an empty chat, and typed into it. The chat says "online" once
the bot served it its history now."""

from __future__ import annotations

import time

import pytest
from playwright.async_api import expect

from bench.procs import Child
from tests.botprocess import free_port
from tests.conftest import BotFactory

pytestmark = pytest.mark.browser

ATTEMPTS = 3

WATCH = """() => {
  window.said = [];
  const status = document.getElementById("status");
  new MutationObserver(() => window.said.push(status.textContent))
    .observe(status, { childList: true, characterData: true, subtree: true });
}"""


async def test_a_chat_the_bot_cannot_serve_never_says_online(
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
        await page.add_init_script(f"addEventListener('DOMContentLoaded', {WATCH})")
        await page.reload()
        deadline = time.monotonic() + 30
        while len(attempts) <= ATTEMPTS and time.monotonic() < deadline:
            await page.wait_for_timeout(100)
        assert len(attempts) > ATTEMPTS  # each closed by the bot, then tried again
        said = await page.evaluate("window.said")
        assert "reconnecting\u2026" in said and "online" not in said, said
