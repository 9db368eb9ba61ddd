"""What every emulator's HTTP server does alike: listen on this machine, shut down, and
serve as an ``async with`` block."""

from __future__ import annotations

from types import TracebackType
from typing import Any, Self

from aiohttp import web


class LocalServer:
    """An aiohttp server on 127.0.0.1 (or ``host``); subclasses say what it serves."""

    _runner: web.AppRunner | None = None

    async def start(self, port: int = 0) -> str:
        raise NotImplementedError

    async def aclose(self) -> None:
        """Stop serving; what ``async with`` does at its end."""
        await self._shut_down()

    async def _listen(
        self, app: web.Application, port: int, host: str = "127.0.0.1", **runner: Any
    ) -> str:
        """Serve ``app``; its address, ``http://HOST:PORT``."""
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0, **runner)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()
        bound_host, bound_port = self._runner.addresses[0][:2]
        return f"http://{bound_host}:{bound_port}"

    async def _shut_down(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
