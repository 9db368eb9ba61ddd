"""SIGTERM on the embedded store (no ``REDIS_URL``) said only that the drain took 1.0 s,
while the events queued for a slow or down service (550 in one run), which with Redis
wait for the next start, were lost with the process. The log says how much is lost."""

from __future__ import annotations

import asyncio
import secrets

import aiohttp

from tests.botprocess import BotProcess, free_port
from tests.test_process import chat


async def test_the_log_says_what_the_embedded_store_loses_at_a_stop() -> None:
    down = {
        "name": "crm",
        "url": f"http://127.0.0.1:{free_port()}/hook",  # nobody listens
        "secret": secrets.token_hex(16),
    }
    bot = BotProcess(config={"services": [down]})
    await asyncio.to_thread(bot.start)
    try:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
            await chat(session, bot.url, "hi")
    finally:
        assert await asyncio.to_thread(bot.stop) == 0
        output = bot.output()
        bot.close()
    assert "the embedded store keeps nothing past this process" in output
    assert "events not yet delivered to services" in output
