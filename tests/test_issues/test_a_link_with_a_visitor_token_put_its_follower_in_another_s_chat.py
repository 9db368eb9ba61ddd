"""The chat's page took a visitor token from its address's fragment wherever it was shown:
anyone could ask ``POST /webchat/token`` for a token (any HTTP client sends the tracked
site's ``Origin``) and send a link ``{PUBLIC_URL}/#token=...`` (or ``/widget#token=...``).
Whoever followed it chatted as the token's visitor, not their own, and the link's maker,
holding the same token, read everything they and the business wrote, live. A token is
taken only in the widget's frame now; a page of its own chats as its cookie's visitor."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.botprocess import free_port
from tests.conftest import BotFactory
from tests.test_widget import SHOP, open_socket, token_for

pytestmark = pytest.mark.browser


async def test_a_token_in_a_link_opens_no_one_else_s_chat(make_bot: BotFactory) -> None:
    from tests.test_browser import TIMEOUT_MS, launched_chromium  # skips without it

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    bot = await make_bot(whatsapp=False, tracking_origins=(SHOP,), port=port, public_url=base)
    planted = await token_for(bot, visitor=None)  # a new visitor's, as a stranger gets one
    async with launched_chromium() as browser:
        for path in ("/", "/widget"):
            page = await (await browser.new_context()).new_page()
            await page.goto(f"{base}{path}#token={planted}")
            await expect(page.locator("#status")).to_have_text("online", timeout=TIMEOUT_MS)
            await page.locator("#text").fill(f"my card ends 4242 ({path})")
            await page.locator("#text").press("Enter")
            await expect(page.locator("#log .msg.outbound")).to_have_count(1, timeout=TIMEOUT_MS)
            await page.context.close()
    socket, history = await open_socket(bot, planted)
    assert history == []  # the token's visitor never heard a word of it
    await socket.close()
