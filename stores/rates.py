"""Shared sending rates (CH-6): one schedule of send slots per key (a number, a bot) in
Redis, so every process sending for that key keeps to one rate together."""

from __future__ import annotations

import asyncio
from typing import Protocol

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


class BaseSharedRate(Protocol):
    """One schedule of send slots per key, shared by every process on the store."""

    async def reserve(self, key: str, per_second: float) -> float:
        """Take the next free slot of ``key``: the seconds until it comes (0 when now)."""

    async def wait(self, key: str, per_second: float) -> None:
        """Take the next free slot of ``key`` and sleep until it comes."""


class SharedRate(BaseSharedRate):
    """At most ``per_second`` sends for a key, across every process on the Redis."""

    def __init__(self, redis: Redis, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys

    async def reserve(self, key: str, per_second: float) -> float:
        """Take the next free slot of ``key``: the seconds until it comes (0 when now)."""
        interval = max(1, round(1000 / per_second))
        delay_ms = int(await _RESERVE(self.redis, [self.keys.rate(key)], [interval]))
        return max(delay_ms, 0) / 1000

    async def wait(self, key: str, per_second: float) -> None:
        """Take the next free slot of ``key`` and sleep until it comes."""
        delay = await self.reserve(key, per_second)
        if delay > 0:
            await asyncio.sleep(delay)
