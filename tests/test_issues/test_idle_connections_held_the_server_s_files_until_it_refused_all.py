"""A client that opened connections and sent nothing (or half a request head) kept them
for ever: aiohttp times out a kept-alive connection between requests, never before the
first. A thousand of them took the process's open files (a soft limit of 1,024 is
common), and /healthz and the webhooks were refused until the client let go. A new
connection now has ``HEAD_SECONDS`` to send its first request head, and a serving
process raises its soft limit of open files to what its hard limit allows."""

from __future__ import annotations

import asyncio
import resource
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from bot.cli.serve import OPEN_FILES, take_open_files
from bot.http.site import HeadDeadlineSite


@pytest.fixture
async def site() -> AsyncIterator[HeadDeadlineSite]:
    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    runner = web.AppRunner(app)
    await runner.setup()
    started = HeadDeadlineSite(runner, "127.0.0.1", 0, head_seconds=0.3)
    await started.start()
    yield started
    await runner.cleanup()


async def test_a_connection_that_sends_no_request_is_closed(site: HeadDeadlineSite) -> None:
    silent = await asyncio.open_connection("127.0.0.1", site.bound_port)
    halfway = await asyncio.open_connection("127.0.0.1", site.bound_port)
    halfway[1].write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # never ends its head
    for reader, writer in (silent, halfway):
        assert await asyncio.wait_for(reader.read(), timeout=5) == b""
        writer.close()
        await writer.wait_closed()


async def test_a_connection_that_asked_in_time_is_kept_alive(site: HeadDeadlineSite) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", site.bound_port)
    for _ in range(2):  # the second request after the deadline, on the same connection
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=5)
        assert head.startswith(b"HTTP/1.1 200")
        await asyncio.wait_for(reader.readexactly(12), timeout=5)  # {"ok": true}
        await asyncio.sleep(0.5)  # past the deadline: a kept-alive connection is no new one
    writer.close()
    await writer.wait_closed()


def test_a_serving_process_takes_the_open_files_its_hard_limit_allows() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = OPEN_FILES if hard == resource.RLIM_INFINITY else min(hard, OPEN_FILES)
    if wanted <= 1024:
        pytest.skip(f"the hard limit of open files here is {hard}")
    resource.setrlimit(resource.RLIMIT_NOFILE, (1024, hard))
    try:
        take_open_files()
        assert resource.getrlimit(resource.RLIMIT_NOFILE)[0] == wanted
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
