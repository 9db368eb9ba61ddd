"""``serve --workers 2``: a worker that died while Redis was down (a restart, a failover)
was replaced by one whose start could not connect; the supervisor took that for a refused
configuration, stopped the healthy worker and exited 2. Once Redis was back, nothing
listened on the port. Now the healthy worker serves on, and the replacement is tried again,
less and less often, until Redis answers."""

from __future__ import annotations

import asyncio
import os
import signal
import urllib.request

from bench.procs import Child
from tests.botprocess import BotProcess
from tests.test_process import _workers_of


def _readyz(url: str) -> int:
    try:
        with urllib.request.urlopen(f"{url}/readyz", timeout=2) as response:
            return int(response.status)
    except OSError as error:
        return int(getattr(error, "code", 0))


async def test_a_worker_replaced_in_a_redis_outage_serves_once_redis_is_back(
    prefix: str, private_redis_server: Child
) -> None:
    env = {"REDIS_URL": private_redis_server.url, "SWITCHBOARD_KEY_PREFIX": prefix}
    bot = BotProcess(env, args=("serve", "--workers", "2"))
    await asyncio.to_thread(bot.start)
    try:
        assert bot.process is not None
        async with asyncio.timeout(30):
            while True:  # the second process may still be starting
                if bot.output().count("Switchboard is serving") == 2:
                    break
                await asyncio.sleep(0.1)
        victim, healthy = _workers_of(bot.process.pid)
        await asyncio.to_thread(private_redis_server.stop)
        os.kill(victim, signal.SIGKILL)
        async with asyncio.timeout(30):
            while "found the store out of reach" not in bot.output():
                assert bot.process.poll() is None, bot.output()
                await asyncio.sleep(0.1)
        assert "could not start; stopping" not in bot.output()
        await asyncio.to_thread(private_redis_server.start)
        async with asyncio.timeout(60):
            while bot.output().count("Switchboard is serving") < 3:
                assert bot.process.poll() is None, bot.output()
                await asyncio.sleep(0.1)
        assert healthy in _workers_of(bot.process.pid), "the healthy worker served on"
        assert len(_workers_of(bot.process.pid)) == 2
        assert "stopping: draining" not in bot.output()
        async with asyncio.timeout(20):
            while True:
                if await asyncio.to_thread(_readyz, bot.url) == 200:
                    break
                await asyncio.sleep(0.1)
    finally:
        assert await asyncio.to_thread(bot.stop) == 0, bot.output()
        bot.close()
