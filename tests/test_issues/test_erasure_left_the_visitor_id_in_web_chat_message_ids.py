"""A web chat message's id was ``web:<visitor id>:<the page's id>``, so the visitor id (a
cookie, or what a site names its visitor by: an identity) stayed after an erasure in the
kept skeleton of each message, the conversation's message index, the dedupe keys and the
events still on their way. Message ids now carry a digest of the visitor id instead."""

from __future__ import annotations

from redis.asyncio import Redis

from tests.conftest import BotFactory
from tests.test_webchat import visitor_says_hi


async def test_nothing_names_the_visitor_after_the_erasure(
    make_bot: BotFactory, real_redis: Redis, prefix: str
) -> None:
    bot = await make_bot(whatsapp=False)
    event = await visitor_says_hi(bot)
    visitor = event["data"]["customer"].removeprefix("vid:")
    assert visitor not in event["data"]["message"]["id"]
    await bot.settle()
    await bot.runtime.profile_book.erase(event["data"]["profile"])
    found = []
    async for key in real_redis.scan_iter(match=f"{prefix}*"):
        kind = await real_redis.type(key)
        if kind == "list":
            found += [key, *await real_redis.lrange(key, 0, -1)]
        elif kind == "hash":
            found += [key, *(f"{k}={v}" for k, v in (await real_redis.hgetall(key)).items())]
        elif kind == "string":
            found += [key, await real_redis.get(key) or ""]
        else:
            found.append(key)
    assert [item for item in found if visitor in str(item)] == []
