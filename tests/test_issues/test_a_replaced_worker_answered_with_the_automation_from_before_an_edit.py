"""``serve --workers 2``: after a live edit of ``automation:`` (both workers logged "automation
reloaded"), a worker that died was replaced by one running the automation the supervisor
read at ``serve``'s start, and it never caught up (the file had not changed since it
started): the customers whose shards it held got the old answer, the others the new one,
until the next edit. A replacement now starts from the file as it is."""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
from pathlib import Path

import aiohttp
import yaml
from redis.asyncio import Redis

from tests.botprocess import BotProcess
from tests.conftest import REDIS_URL
from tests.test_process import _workers_of

OLD, NEW = "We open at nine.", "We open at ten now."


def _config(reply: str) -> dict[str, object]:
    return {"automation": {"welcome": "", "rules": [{"keywords": ["hours"], "reply": reply}]}}


async def _answer(url: str, text: str) -> str:
    """What the bot answers a new web chat visitor who says ``text``."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        async with session.get(url + "/") as page:
            assert page.status == 200
        async with session.ws_connect(url + "/webchat/socket") as socket:
            await socket.receive_json(timeout=5)  # the history
            await socket.send_json({"type": "message", "id": secrets.token_hex(4), "text": text})
            while True:  # the dead workers' shards are taken over once their leases lapse
                frame = await socket.receive_json(timeout=60)
                if frame["type"] == "message" and frame["message"]["direction"] == "outbound":
                    return str(frame["message"]["text"])


async def _said(bot: BotProcess, line: str, times: int) -> None:
    async with asyncio.timeout(60):
        while True:
            if bot.output().count(line) >= times:
                return
            assert bot.process is not None and bot.process.poll() is None, bot.output()
            await asyncio.sleep(0.1)


async def test_a_replaced_worker_answers_with_the_automation_as_edited(
    prefix: str, real_redis: Redis
) -> None:
    env = {"REDIS_URL": REDIS_URL, "SWITCHBOARD_KEY_PREFIX": prefix}
    bot = BotProcess(env, _config(OLD), args=("serve", "--workers", "2"))
    await asyncio.to_thread(bot.start)
    try:
        assert bot.process is not None
        await _said(bot, "Switchboard is serving", 2)
        config = Path(bot.env["SWITCHBOARD_CONFIG"])
        await asyncio.to_thread(config.write_text, yaml.safe_dump(_config(NEW)), "utf-8")
        await _said(bot, "automation reloaded", 2)
        for worker in _workers_of(bot.process.pid):  # every answer now comes from another
            os.kill(worker, signal.SIGKILL)
        await _said(bot, "Switchboard is serving", 4)
        assert await _answer(bot.url, "hours?") == NEW
    finally:
        assert await asyncio.to_thread(bot.stop) == 0, bot.output()
        bot.close()
