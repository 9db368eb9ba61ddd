"""Channel sending limits (CH-6): a shared rate per number in Redis, and spacing per
chat in the process, which is the only one sending to that chat (a conversation's
shard has one worker at a time)."""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict

from redis.asyncio import Redis

from stores.redis import Keys, Script

# Generic cell rate: each send reserves the next free slot; the answer is how long to
# wait for it. Redis's clock serves every process, so they share one schedule.
_RESERVE = Script(
    """
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local interval = tonumber(ARGV[1])
local slot = math.max(tonumber(redis.call('GET', KEYS[1]) or '0'), now_ms)
redis.call('SET', KEYS[1], slot + interval, 'PX', interval + 60000)
return slot - now_ms
"""
)

MAX_CHATS = 100_000
"""Chats whose last send is remembered; older ones have long been free to send again."""


class SharedRate:
    """At most ``per_second`` sends for a key, across every process on the Redis."""

    def __init__(self, redis: Redis, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys

    async def wait(self, key: str, per_second: float) -> None:
        interval = max(1, round(1000 / per_second))
        delay_ms = int(await _RESERVE(self.redis, [f"{self.keys.prefix}rate:{key}"], [interval]))
        if delay_ms > 0:
            await asyncio.sleep(delay_ms / 1000)


class ChatSpacing:
    """At least ``interval`` seconds between two sends to one chat, in this process."""

    def __init__(self) -> None:
        self._next: OrderedDict[str, float] = OrderedDict()

    async def wait(self, chat: str, interval: float) -> None:
        now = time.monotonic()
        slot = max(self._next.pop(chat, 0.0), now)
        self._next[chat] = slot + interval
        if len(self._next) > MAX_CHATS:
            self._next.popitem(last=False)
        if slot > now:
            await asyncio.sleep(slot - now)
