"""The README has a site post its page views to ``/t/events`` with
``Switchboard.visitorId()``, so that they join the chat's visitor; but the widget made the
id only when the chat first opened, and ``visitorId()`` was null on every page before."""

from __future__ import annotations

import pytest

from tests.botprocess import free_port
from tests.conftest import BotFactory
from tests.test_browser import launched_chromium, shop_site

pytestmark = pytest.mark.browser


async def test_visitor_id_is_there_before_the_chat_opens_and_the_chat_uses_it(
    make_bot: BotFactory,
) -> None:
    port = free_port()
    shop = f"http://127.0.0.1:{port}"  # another origin than the bot's, on loopback as it is
    bot_port = free_port()
    base = f"http://127.0.0.1:{bot_port}"
    await make_bot(whatsapp=False, tracking_origins=(shop,), port=bot_port, public_url=base)
    page_html = f'<!doctype html><h1>Shop</h1><script src="{base}/widget.js" async></script>'
    async with shop_site(port, {"/": page_html}), launched_chromium() as browser:
        page = await browser.new_page()
        await page.goto(f"{shop}/")
        await page.wait_for_function("window.Switchboard && window.Switchboard.widget")
        first = await page.evaluate("Switchboard.visitorId()")
        assert isinstance(first, str) and 16 <= len(first) <= 64
        assert await page.evaluate("Switchboard.visitorId()") == first  # kept
        assert await page.evaluate("localStorage.getItem('sb_vid')") == first
        token = lambda answer: answer.url.endswith("/webchat/token")  # noqa: E731
        async with page.expect_response(token) as told:
            await page.evaluate("Switchboard.open()")
        answer = await (await told.value).json()
        assert answer["visitor_id"] == first  # the chat is the tracked visitor
