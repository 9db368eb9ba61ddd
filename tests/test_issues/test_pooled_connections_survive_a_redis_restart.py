"""Regression: pooled connections went stale when Redis restarted.

After Redis was restarted, the bot went on handing out the connections its pool held to
the old server. About 20 s after Redis came back, 1 or 2 of 200 concurrent API calls
answered 503 (``Connection closed by server`` in the log): the first command on a
connection the old server had closed failed, and nothing tried it again.

The test runs its own redis-server on a free port (saving to disk, so that the bot's
data survives the restart), warms the bot's pool with 200 concurrent API calls, restarts
that server, and makes 200 concurrent API calls again: every one must answer 200.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from redis.asyncio import Redis
from redis.exceptions import BusyLoadingError
from redis.exceptions import ConnectionError as RedisConnectionError

from tests.botprocess import free_port
from tests.conftest import Bot, BotFactory

CALLS = 200


class RedisServer:
    """A redis-server of the test's own, on a free port, that can be restarted."""

    def __init__(self, directory: str) -> None:
        server = shutil.which("redis-server")
        if server is None:
            pytest.skip("this test needs redis-server on PATH")
        self.binary = server
        self.directory = directory
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            self.binary,
            *("--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.directory),
            *("--save", "3600 1", "--appendonly", "no"),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        client = Redis.from_url(self.url)
        try:
            async with asyncio.timeout(10):
                while True:
                    try:
                        if await client.ping():
                            return
                    except (RedisConnectionError, BusyLoadingError):
                        pass  # not listening yet, or still loading its data set
                    await asyncio.sleep(0.05)
        finally:
            await client.aclose()

    async def stop(self) -> None:
        """SIGTERM: the server saves its data set and closes every client connection."""
        if self.process and self.process.returncode is None:
            self.process.terminate()
            await self.process.wait()

    def kill(self) -> None:
        if self.process and self.process.returncode is None:
            self.process.kill()


@asynccontextmanager
async def own_redis() -> AsyncIterator[RedisServer]:
    with tempfile.TemporaryDirectory(prefix="switchboard-redis-") as directory:
        server = RedisServer(directory)
        await server.start()
        try:
            yield server
        finally:
            server.kill()
            if server.process:
                await server.process.wait()


async def burst(bot: Bot, token: str) -> list[int]:
    """``CALLS`` concurrent API calls; their statuses."""

    async def one() -> int:
        response = await bot.client.get("/v1/numbers", headers={"Authorization": f"Bearer {token}"})
        await response.read()
        return response.status

    return await asyncio.gather(*(one() for _ in range(CALLS)))


async def test_api_calls_right_after_a_redis_restart_all_succeed(make_bot: BotFactory) -> None:
    async with own_redis() as server:
        bot = await make_bot(redis_url=server.url)
        try:
            token = await bot.runtime.directory.define_token("support")
            warm = await burst(bot, token)  # the pool now holds many connections
            assert warm == [200] * CALLS
            await server.stop()
            await server.start()
            after = await burst(bot, token)
            assert after.count(200) == CALLS, f"{CALLS - after.count(200)} calls failed: {after}"
        finally:
            await bot.stop()  # while its Redis still runs
