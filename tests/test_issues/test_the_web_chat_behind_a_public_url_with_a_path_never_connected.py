"""With PUBLIC_URL naming a path (``https://shop.example.com/chat``, a proxy that serves the
bot under it), the web chat's page opened, then said "reconnecting" for ever: it asked
for its socket, its files and its visitor at the site's root (``/webchat/socket``), where
the proxy has nothing of the bot's, and the widget's panel, at ``/chat/widget``, took
itself for a page of its own. The page's addresses are relative to the page now."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
from aiohttp import WSMsgType, web
from multidict import CIMultiDict
from playwright.async_api import Browser, expect

from tests.botprocess import free_port
from tests.emulators.server import LocalServer
from tests.test_browser import CONFIG, TIMEOUT_MS, WELCOME, browser, open_chat, serving

__all__ = ["browser"]

PREFIX = "/chat"


class PathProxy(LocalServer):
    """A reverse proxy that serves the bot under ``/chat/``, and a shop's page with the
    widget's tag at ``/shop``, for the browser to open on another origin of the proxy's
    (``localhost``, where the chat is ``127.0.0.1``)."""

    def __init__(self, upstream: str, public: str) -> None:
        self.upstream = upstream
        self.shop = (
            "<!doctype html><html><body><h1>Shop</h1>"
            f'<script src="{public}/widget.js" async></script></body></html>'
        )

    async def start(self, port: int = 0) -> str:
        app = web.Application(client_max_size=16 * 1024 * 1024)
        app.router.add_route("*", "/{path:.*}", self.forward)
        return await self._listen(app, port)

    async def forward(self, request: web.Request) -> web.StreamResponse:
        if request.path == "/shop":
            return web.Response(text=self.shop, content_type="text/html")
        if not request.path.startswith(PREFIX + "/"):
            return web.Response(status=404, text="nothing here")
        target = self.upstream + request.path_qs.removeprefix(PREFIX)
        passed = ("Cookie", "Content-Type", "Origin", "Referer")
        headers = {name: request.headers[name] for name in passed if name in request.headers}
        async with aiohttp.ClientSession() as session:
            if request.headers.get("Upgrade", "").lower() == "websocket":
                return await self.tunnel(request, session, target, headers)
            async with session.request(
                request.method, target, headers=headers, data=await request.read()
            ) as answer:
                body = await answer.read()
                back = CIMultiDict(answer.headers)
                for name in ("Content-Length", "Content-Encoding", "Transfer-Encoding"):
                    back.popall(name, None)
                return web.Response(status=answer.status, body=body, headers=back)

    async def tunnel(
        self,
        request: web.Request,
        session: aiohttp.ClientSession,
        target: str,
        headers: dict[str, str],
    ) -> web.StreamResponse:
        upstream = await session.ws_connect(target, headers=headers)
        page = web.WebSocketResponse()
        await page.prepare(request)

        async def pipe(
            source: aiohttp.ClientWebSocketResponse | web.WebSocketResponse,
            sink: aiohttp.ClientWebSocketResponse | web.WebSocketResponse,
        ) -> None:
            async for frame in source:
                if frame.type == WSMsgType.TEXT:
                    await sink.send_str(frame.data)
            await sink.close()

        await asyncio.gather(pipe(page, upstream), pipe(upstream, page))
        return page


@contextlib.asynccontextmanager
async def behind_a_proxy() -> AsyncIterator[tuple[str, str]]:
    """``python bot.py`` with PUBLIC_URL under the proxy's ``/chat``: the chat's address,
    and the shop's page."""
    port = free_port()
    public = f"http://127.0.0.1:{port}{PREFIX}"
    config = CONFIG | {"tracking": {"origins": [f"http://localhost:{port}"]}}
    with serving(config, {"PUBLIC_URL": public}) as bot:
        proxy = PathProxy(bot.url, public)
        await proxy.start(port)
        try:
            yield public + "/", f"http://localhost:{port}/shop"
        finally:
            await proxy.aclose()


async def test_the_chat_under_a_public_url_path_connects_and_sends(
    browser: Browser, tmp_path: Path
) -> None:
    async with behind_a_proxy() as (chat, _):
        page = await open_chat(browser, chat)
        await expect(page.locator("#status")).to_have_text("online", timeout=TIMEOUT_MS)
        await page.locator("#text").fill("hi")
        await page.locator("#text").press("Enter")
        await expect(page.locator("#log .msg.outbound")).to_have_text([WELCOME], timeout=TIMEOUT_MS)
        note = tmp_path / "note.txt"
        note.write_text("my order number is 1234", encoding="utf-8")
        await page.locator("#file").set_input_files(note)
        await expect(page.locator("#log .msg.inbound a.file")).to_have_count(1)
        await expect(page.locator("#log .msg.inbound").last).to_have_attribute(
            "data-state", "sent", timeout=TIMEOUT_MS
        )
        await expect(page.locator("#log .notice")).to_have_count(0)
        await page.context.close()


async def test_the_widget_under_a_public_url_path_connects(browser: Browser) -> None:
    async with behind_a_proxy() as (_, shop):
        page = await open_chat(browser, shop)
        await page.locator("#switchboard-widget .launcher").click()
        panel = page.frame_locator("#switchboard-widget iframe")
        await expect(panel.locator("#status")).to_have_text("online", timeout=TIMEOUT_MS)
        await panel.locator("#text").fill("hi")
        await panel.locator("#text").press("Enter")
        await expect(panel.locator("#log .msg.outbound")).to_have_text(
            [WELCOME], timeout=TIMEOUT_MS
        )
        await page.context.close()
