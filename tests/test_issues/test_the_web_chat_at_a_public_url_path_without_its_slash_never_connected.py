"""With PUBLIC_URL naming a path (``https://shop.example.com/chat``) behind a proxy that
strips the path (Caddy's ``handle_path /chat*``, Traefik's StripPrefix), the web chat
opened at the PUBLIC_URL itself, without a last slash, said "reconnecting" for ever: its
addresses, relative to the page, then named the site's root (``/webchat/socket``), where
the proxy has nothing of the bot's. They are under the page's path all the same now."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from aiohttp import web
from playwright.async_api import Browser, expect

from tests.botprocess import free_port
from tests.test_browser import CONFIG, TIMEOUT_MS, WELCOME, browser, open_chat, serving
from tests.test_issues.test_the_web_chat_behind_a_public_url_with_a_path_never_connected import (
    PREFIX,
    PathProxy,
)

__all__ = ["browser"]


class StrippingProxy(PathProxy):
    """The proxy under ``/chat/``, which serves ``/chat`` too, as the bot's ``/``."""

    async def forward(self, request: web.Request) -> web.StreamResponse:
        if request.path == PREFIX:
            request = request.clone(rel_url=request.rel_url.with_path(PREFIX + "/"))
        return await super().forward(request)


@contextlib.asynccontextmanager
async def behind_a_proxy() -> AsyncIterator[str]:
    """``python bot.py`` with PUBLIC_URL under the proxy's ``/chat``: the PUBLIC_URL."""
    port = free_port()
    public = f"http://127.0.0.1:{port}{PREFIX}"
    with serving(CONFIG, {"PUBLIC_URL": public}) as bot:
        proxy = StrippingProxy(bot.url, public)
        await proxy.start(port)
        try:
            yield public
        finally:
            await proxy.aclose()


async def test_the_chat_at_the_public_url_itself_connects_and_sends(browser: Browser) -> None:
    async with behind_a_proxy() as public:
        page = await open_chat(browser, public)
        await expect(page.locator("#status")).to_have_text("online", timeout=TIMEOUT_MS)
        await page.locator("#text").fill("hi")
        await page.locator("#text").press("Enter")
        await expect(page.locator("#log .msg.outbound")).to_have_text([WELCOME], timeout=TIMEOUT_MS)
        await page.context.close()
