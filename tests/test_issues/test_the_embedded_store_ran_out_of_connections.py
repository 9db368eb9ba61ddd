"""The embedded store (no ``REDIS_URL``) had redis-py's default pool of 100 connections,
which fails the 101st where the Redis client's waits: a burst of 150 web events got 69
answers of 503, a crowd of web chat visitors had their sockets closed, and with more
than 48 shards the shards' blocking reads took every connection, so no visitor was ever
answered. Its pool waits for a free connection now, and has room for every shard."""

from __future__ import annotations

import asyncio
from collections import Counter

import aiohttp

from tests.botprocess import BotProcess


async def test_a_burst_is_served_and_many_shards_are_worked() -> None:
    bot = BotProcess({"SWITCHBOARD_SHARDS": "64"})  # no REDIS_URL: the embedded store
    await asyncio.to_thread(bot.start)
    try:
        async with aiohttp.ClientSession() as client:

            async def post(n: int) -> int:
                event = {"type": "page_view", "url": f"https://shop.example.com/{n}"}
                async with client.post(f"{bot.url}/t/events", json=event) as answer:
                    return answer.status

            statuses = Counter(await asyncio.gather(*(post(n) for n in range(150))))
            assert statuses == Counter({202: 150})

            async def chat(n: int) -> str:
                jar = aiohttp.CookieJar(unsafe=True)  # cookies of an IP address too
                async with aiohttp.ClientSession(cookie_jar=jar) as visitor:  # a browser
                    async with visitor.get(f"{bot.url}/") as page:
                        assert page.status == 200
                    async with visitor.ws_connect(f"{bot.url}/webchat/socket") as socket:
                        await socket.receive_json(timeout=10)  # the history
                        await socket.send_json({"type": "message", "id": "m1", "text": "hi"})
                        while True:
                            frame = await socket.receive_json(timeout=15)
                            message = frame.get("message") or {}
                            if frame["type"] == "message" and message["direction"] == "outbound":
                                return str(message["text"])

            answers = await asyncio.gather(*(chat(n) for n in range(20)))
            assert all(answers), answers
    finally:
        assert await asyncio.to_thread(bot.stop) == 0
        bot.close()
