"""Embedded in a page of another site, the chat's SameSite=Lax cookie is neither set nor sent,
the socket is refused, and the page said "reconnecting…" for good. Now it says it cannot start
there and links to the chat in its own page."""

from __future__ import annotations

import pytest
from aiohttp import web
from playwright.async_api import Browser, WebSocket, expect

from tests import test_browser as chat
from tests.botprocess import BotProcess
from tests.conftest import BotFactory

bot = chat.bot
browser = chat.browser


async def test_the_visitor_check_says_whether_the_cookie_came(make_bot: BotFactory) -> None:
    service = await make_bot(whatsapp=False)
    service.client.session.cookie_jar.clear()
    refused = await service.client.get("/webchat/visitor")
    assert (refused.status, await refused.json()) == (200, {"visitor": False, "refused": None})
    await service.client.get("/")
    welcome = await service.client.get("/webchat/visitor")
    assert await welcome.json() == {"visitor": True, "refused": None}


@pytest.mark.browser
async def test_embedded_cross_site_the_chat_says_it_cannot_start_here(
    bot: BotProcess, browser: Browser
) -> None:
    assert bot.url.startswith("http://127.0.0.1:")
    html = f'<h1>Shop</h1><iframe src="{bot.url}/" width="400" height="600"></iframe>'

    async def shop_page(request: web.Request) -> web.Response:
        return web.Response(text=html, content_type="text/html")

    shop = web.Application()
    shop.router.add_get("/", shop_page)
    runner = web.AppRunner(shop)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    context = await browser.new_context()
    page = await context.new_page()
    sockets: list[WebSocket] = []
    page.on("websocket", lambda socket: sockets.append(socket))
    # Another site: "localhost" and "127.0.0.1" are different hosts.
    await page.goto(f"http://localhost:{port}/")
    frame = page.frame_locator("iframe")

    notice = frame.locator("#log .notice")
    await expect(notice).to_contain_text("could not start here", timeout=chat.TIMEOUT_MS)
    link = notice.locator("a")
    await expect(link).to_have_attribute("href", f"{bot.url}/")
    await expect(link).to_have_attribute("target", "_blank")
    await expect(frame.locator("#status")).not_to_have_text("reconnecting…")
    await expect(frame.locator("#text")).to_be_disabled()
    assert len(sockets) == 1  # refused once, then told, not retried
    await context.close()
    await runner.cleanup()
