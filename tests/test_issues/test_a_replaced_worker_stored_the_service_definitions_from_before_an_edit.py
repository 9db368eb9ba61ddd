"""``serve --workers 2``: after a live edit of a service's ``url:`` (both workers took it),
a worker that died was replaced by one that stored the service's definition as the
supervisor read it at ``serve``'s start: the old URL was back for every process, and the
deliveries went there. A replacement now stores the definitions as the file has them; and
while the file is broken, it keeps the ones stored, as a live reload keeps what runs."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import pytest
import yaml
from redis.asyncio import Redis

from stores.redis import Keys
from stores.services import ServiceStore
from tests.botprocess import BotProcess
from tests.conftest import REDIS_URL
from tests.test_process import _workers_of

SECRET = "s" * 32
OLD, NEW = "http://127.0.0.1:9/hook", "http://127.0.0.1:9/hook?edited=1"


def _config(url: str) -> str:
    return yaml.safe_dump({"services": [{"name": "sales", "url": url, "secret": SECRET}]})


async def _said(bot: BotProcess, line: str, times: int) -> None:
    async with asyncio.timeout(60):
        while True:
            if bot.output().count(line) >= times:
                return
            assert bot.process is not None and bot.process.poll() is None, bot.output()
            await asyncio.sleep(0.1)


@pytest.mark.parametrize("broken_then", [False, True])
async def test_a_replaced_worker_keeps_the_service_definition_as_edited(
    prefix: str, real_redis: Redis, broken_then: bool
) -> None:
    env = {"REDIS_URL": REDIS_URL, "SWITCHBOARD_KEY_PREFIX": prefix}
    bot = BotProcess(env, args=("serve", "--workers", "2"))
    config = Path(bot.env["SWITCHBOARD_CONFIG"])
    await asyncio.to_thread(config.write_text, _config(OLD), "utf-8")
    services = ServiceStore(real_redis, Keys(prefix))
    await asyncio.to_thread(bot.start)
    try:
        assert bot.process is not None
        await _said(bot, "Switchboard is serving", 2)
        await asyncio.to_thread(config.write_text, _config(NEW), "utf-8")
        await _said(bot, "automation reloaded", 2)
        if broken_then:
            await asyncio.to_thread(config.write_text, _config(NEW) + "  - [\n", "utf-8")
            await _said(bot, "config file not reloaded", 2)
        os.kill(_workers_of(bot.process.pid)[0], signal.SIGKILL)
        await _said(bot, "Switchboard is serving", 3)
        stored = await services.get("sales")
        assert stored is not None and stored.url == NEW
        if broken_then:
            assert "config file not read again for worker-" in bot.output()
    finally:
        assert await asyncio.to_thread(bot.stop) == 0, bot.output()
        bot.close()
