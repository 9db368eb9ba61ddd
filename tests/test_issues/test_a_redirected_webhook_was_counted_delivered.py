"""A service whose webhook URL answered with a redirect had its events counted delivered.

The delivery followed the redirect as a browser would: a 301, 302 or 303 turned the signed
POST into a GET without its body, so a moved endpoint that sent it to a page answering 200
(a home page, a login page) was recorded as having the event, and it never did. Events are
now posted only to the URL the service attached: a redirect is a failed attempt that names
itself, retried and dead-lettered like any other, until the service attaches the new URL.
"""

from __future__ import annotations

import secrets

import pytest
from aiohttp import web

from adapters.keepalive import KeepAlivePoster
from adapters.webhooks import WebhookClient
from tests.emulators.server import LocalServer
from tests.emulators.sink import SubscriberSink


class MovedEndpoint(LocalServer):
    """``/old`` redirects with the status it is given; ``/home`` answers any GET with 200."""

    def __init__(self, status: int, target: str = "") -> None:
        self.status = status
        self.target = target
        self.gets = 0
        self.url = ""

    async def start(self, port: int = 0) -> str:
        app = web.Application()
        app.router.add_route("*", "/old", self._old)
        app.router.add_get("/home", self._home)
        self.url = f"{await self._listen(app, port)}/old"
        return self.url

    async def _old(self, request: web.Request) -> web.Response:
        await request.read()
        location = self.target or str(request.url.with_path("/home"))
        return web.Response(status=self.status, headers={"Location": location})

    async def _home(self, request: web.Request) -> web.Response:
        self.gets += 1
        return web.Response(text="<html>welcome</html>", content_type="text/html")


@pytest.mark.parametrize("status", [301, 302, 303])
async def test_a_redirect_to_a_page_is_not_a_delivery(status: int) -> None:
    posts = KeepAlivePoster()
    async with MovedEndpoint(status) as moved:
        problem = await WebhookClient(posts, 5.0).deliver(
            moved.url, secrets.token_hex(16), "evt_1", b'{"id":"evt_1"}'
        )
    await posts.close()
    assert problem.startswith(f"HTTP {status}")
    assert "redirect" in problem
    assert moved.gets == 0


@pytest.mark.parametrize("status", [307, 308])
async def test_a_redirect_that_keeps_the_body_is_not_followed_either(status: int) -> None:
    secret = secrets.token_hex(16)
    sink = SubscriberSink(secret)
    posts = KeepAlivePoster()
    target = await sink.start()
    async with MovedEndpoint(status, target) as moved:
        problem = await WebhookClient(posts, 5.0).deliver(
            moved.url, secret, "evt_1", b'{"id":"evt_1"}'
        )
    await sink.stop()
    await posts.close()
    assert problem.startswith(f"HTTP {status}")
    assert sink.deliveries == [] and sink.rejected == []
