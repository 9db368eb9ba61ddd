"""An erased Telegram customer's id stayed in what was kept of their messages.

As a service saw it, after ``DELETE /v1/profiles/{id}`` of a Telegram customer: the
conversation's timeline still named each message ``<their id>:<n>`` (a private chat's
id is its user's Telegram id), and so did the replies' provider ids, the dedupe keys and
the events kept for ``GET /v1/events``: the erased identity ``tg:<id>`` read straight
off the skeleton erasure keeps. A private chat stands as a digest in a message's id,
as a web visitor's id does (PS-7).
"""

from __future__ import annotations

from tests.test_telegram_runtime import CUSTOMER, TelegramBot, tg, wait_until_processed

__all__ = ["tg"]  # the fixture


async def test_nothing_kept_names_the_erased_id(tg: TelegramBot) -> None:
    tg.api.customer_text(CUSTOMER, "hello there", first_name="Cara")
    await tg.api.wait_for_sent(2)  # the welcome, and the team chat's post
    await wait_until_processed(tg, CUSTOMER, 1)
    runtime = tg.bot.runtime
    await tg.bot.settle()
    profile = await runtime.profile_book.find(f"tg:{CUSTOMER}")
    await runtime.profile_book.erase(profile)
    redis, prefix = runtime.redis, runtime.keys.prefix
    found = []
    async for key in redis.scan_iter(match=f"{prefix}*"):
        kind = await redis.type(key)
        if kind == "string":
            value = str(await redis.get(key))
        elif kind == "hash":
            value = str(await redis.hgetall(key))
        elif kind == "list":
            value = str(await redis.lrange(key, 0, -1))
        elif kind == "stream":
            value = str(await redis.xrange(key))
        elif kind == "zset":
            value = str(await redis.zrange(key, 0, -1))
        else:
            value = str(await redis.smembers(key))
        if str(CUSTOMER) in key + value:
            found.append(key)
    assert not found, found
