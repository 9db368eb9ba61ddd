"""A TCP proxy in front of the test Redis that takes Redis away right after one chosen
command has gone through and been answered (or as it is sent): every connection is cut,
and new ones are refused for a while, as a Redis restart or a network blip does at the
worst moment."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

ANSWER_SECONDS = 0.05
"""How long the command's answer has to go back before the cut."""


class RedisCut:
    """Forwards to ``upstream``; ``arm`` chooses the command after which Redis goes away."""

    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 6379
        self.database = parts.path or "/0"
        self._marker = b""
        self._outage = 0.0
        self._swallow = False
        self._down_until = 0.0
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._server: asyncio.Server | None = None
        self.cut = asyncio.Event()
        """Set once Redis was taken away."""

    @property
    def url(self) -> str:
        assert self._server is not None
        port = self._server.sockets[0].getsockname()[1]
        return f"redis://127.0.0.1:{port}{self.database}"

    def arm(self, marker: str, outage: float, *, swallow: bool = False) -> None:
        """Cut every connection, for ``outage`` seconds, once a command carrying ``marker``
        has been answered; ``swallow``: as it comes, before Redis sees it."""
        self._marker, self._outage, self._swallow = marker.encode(), outage, swallow
        self.cut.clear()

    async def restored(self) -> None:
        """Wait until the proxy takes connections again after the cut."""
        await self.cut.wait()
        await asyncio.sleep(max(0.0, self._down_until - time.monotonic()))

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for writer in list(self._writers):
            writer.close()
        if self._tasks:  # each ends once its connections are closed
            await asyncio.wait(list(self._tasks), timeout=5)
        if self._server is not None:
            await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if time.monotonic() < self._down_until:
            writer.close()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(self.host, self.port)
        except OSError:
            writer.close()
            return
        self._writers.update((writer, up_writer))
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            await asyncio.gather(
                self._pipe(reader, up_writer, upstream=True),
                self._pipe(up_reader, writer, upstream=False),
            )
        finally:
            self._writers.difference_update((writer, up_writer))
            self._tasks.discard(task)

    async def _pipe(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, upstream: bool
    ) -> None:
        with contextlib.suppress(OSError):
            while data := await reader.read(65536):
                chosen = upstream and self._marker and self._marker in data
                if not (chosen and self._swallow):
                    writer.write(data)
                    await writer.drain()
                if chosen:
                    self._marker = b""
                    if not self._swallow:
                        await asyncio.sleep(ANSWER_SECONDS)  # its answer goes back
                    self._down_until = time.monotonic() + self._outage
                    for each in list(self._writers):
                        each.close()
                    self.cut.set()
        writer.close()


@contextlib.asynccontextmanager
async def redis_cut(upstream: str) -> AsyncIterator[RedisCut]:
    """A ``RedisCut`` in front of ``upstream``, stopped at the end."""
    proxy = RedisCut(upstream)
    await proxy.start()
    try:
        yield proxy
    finally:
        await proxy.stop()
