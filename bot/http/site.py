"""The HTTP server's socket: a TCP site where a connection must bring a whole request
head within ``HEAD_SECONDS``, or be closed.

aiohttp times out a kept-alive connection between requests (after ``KEEPALIVE_SECONDS``
here), but waits for ever for the first: a client that opens connections and sends
nothing (or half a head) holds them, and with them the process's file descriptors, until
``/healthz`` and the webhooks are refused. A body that stalls is the reader's to time out
(``bot.http.body``).
"""

from __future__ import annotations

import asyncio

from aiohttp import web
from aiohttp.web_protocol import RequestHandler

HEAD_SECONDS = 10.0
"""How long a new connection may take to send its first request's line and headers."""
KEEPALIVE_SECONDS = 15.0
"""How long a kept-alive connection may wait for its next request (aiohttp's own default
is an hour): idle ones must not hold the process's file descriptors either."""


class HeadDeadlineSite(web.BaseSite):
    """``web.TCPSite``, with the deadline for a connection's first request head."""

    def __init__(
        self,
        runner: web.BaseRunner,
        host: str,
        port: int,
        *,
        reuse_port: bool = False,
        head_seconds: float = HEAD_SECONDS,
    ) -> None:
        super().__init__(runner)
        self.host, self.port = host, port
        self.reuse_port = reuse_port
        self.head_seconds = head_seconds
        self.bound_port = port

    @property
    def name(self) -> str:
        return f"http://{self.host}:{self.bound_port}"

    async def start(self) -> None:
        await super().start()
        loop = asyncio.get_running_loop()
        server = self._runner.server
        assert server is not None

        def handler() -> RequestHandler:
            made = server()
            loop.call_later(self.head_seconds, _close_if_headless, made)
            return made

        self._server = await loop.create_server(
            handler, self.host, self.port, reuse_port=self.reuse_port or None
        )
        if self._server.sockets:
            self.bound_port = self._server.sockets[0].getsockname()[1]


def _close_if_headless(handler: RequestHandler) -> None:
    # aiohttp counts a connection's requests once their heads are read (``_request_count``,
    # 3.9 to 3.14): none by now is a client that is not sending one.
    if handler.transport is not None and not getattr(handler, "_request_count", 1):
        handler.force_close()
