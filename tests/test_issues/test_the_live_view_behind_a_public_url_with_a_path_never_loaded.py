"""With PUBLIC_URL naming a path (``https://shop.example.com/chat``, a proxy that serves the
bot under it), the link of ``POST /v1/live-tokens`` opened the live view's page, which
then said "connecting" for ever: it asked for its state, its stream and its files at the
site's root (``/live/api/state``), where the proxy has nothing of the bot's. The page's
addresses are relative to it now, as the web chat's are."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web
from playwright.async_api import Browser, expect

from tests.botprocess import free_port
from tests.emulators.sink import SubscriberSink
from tests.test_browser import CONFIG, TIMEOUT_MS, WELCOME, browser, open_chat, serving
from tests.test_issues.test_the_web_chat_behind_a_public_url_with_a_path_never_connected import (
    PREFIX,
    PathProxy,
)

__all__ = ["browser"]

ADMIN = "an-admin-token-of-this-test"
SECRET = "a-secret-of-the-support-service"


class FullProxy(PathProxy):
    """The web chat's proxy, passing the live view's headers too (its token, its keys):
    what a real proxy passes."""

    async def forward(self, request: web.Request) -> web.StreamResponse:
        upgrade = request.headers.get("Upgrade", "")
        if not request.path.startswith(PREFIX + "/live") or upgrade:
            return await super().forward(request)
        target = self.upstream + request.path_qs.removeprefix(PREFIX)
        hop = {"host", "connection", "content-length", "accept-encoding"}
        headers = {k: v for k, v in request.headers.items() if k.lower() not in hop}
        async with (
            aiohttp.ClientSession() as session,
            session.request(
                request.method, target, headers=headers, data=await request.read()
            ) as answer,
        ):
            back = web.StreamResponse(status=answer.status)
            for name in ("Content-Type", "Cache-Control"):
                if name in answer.headers:
                    back.headers[name] = answer.headers[name]
            await back.prepare(request)
            async for chunk in answer.content.iter_any():  # the stream, as it comes
                await back.write(chunk)
            return back


@contextlib.asynccontextmanager
async def behind_a_proxy() -> AsyncIterator[tuple[str, str, str]]:
    """``python bot.py`` with PUBLIC_URL under the proxy's ``/chat`` and a service: the
    chat's address, and the service's API token."""
    port = free_port()
    public = f"http://127.0.0.1:{port}{PREFIX}"
    async with SubscriberSink(SECRET) as sink:
        service = {"name": "support", "url": sink.url, "secret": "${SUPPORT_SECRET}"}
        config = CONFIG | {"services": [service]}
        env = {"PUBLIC_URL": public, "SWITCHBOARD_ADMIN_TOKEN": ADMIN, "SUPPORT_SECRET": SECRET}
        with serving(config, env) as bot:
            proxy = FullProxy(bot.url, public)
            await proxy.start(port)
            try:
                body = {"name": "support", "url": sink.url, "secret": SECRET}
                headers = {"Authorization": f"Bearer {ADMIN}"}
                async with (
                    aiohttp.ClientSession() as client,
                    client.post(f"{bot.url}/v1/services", json=body, headers=headers) as answer,
                ):
                    assert answer.status < 300, await answer.text()
                    token = (await answer.json())["token"]
                yield public + "/", bot.url, token
            finally:
                await proxy.aclose()


async def test_the_live_view_under_a_public_url_path_loads(browser: Browser) -> None:
    async with behind_a_proxy() as (chat, direct, token):
        visitor = await open_chat(browser, chat)
        await visitor.locator("#text").fill("hi")
        await visitor.locator("#text").press("Enter")
        await expect(visitor.locator("#log .msg.outbound")).to_have_text(
            [WELCOME], timeout=TIMEOUT_MS
        )
        headers = {"Authorization": f"Bearer {token}"}
        async with aiohttp.ClientSession(headers=headers) as client:
            async with client.get(f"{direct}/v1/conversations") as answer:
                (conversation,) = (await answer.json())["conversations"]
            body = {"profile": conversation["profile"], "agent": "alice"}
            async with client.post(f"{direct}/v1/live-tokens", json=body) as answer:
                assert answer.status == 201, await answer.text()
                url = (await answer.json())["url"]
        assert url.startswith(chat + "live?")
        page = await visitor.context.new_page()
        await page.goto(url)
        await expect(page.locator("#status")).to_have_text(
            "live \u00b7 alice of support", timeout=TIMEOUT_MS
        )
        await expect(page.locator("#log .msg").first).to_contain_text("hi", timeout=TIMEOUT_MS)
        await visitor.context.close()
