"""Shared sending rates (CH-6): one schedule of send slots per key (a number, a bot) in
Redis, so every process sending for that key keeps to one rate together."""

from __future__ import annotations

import asyncio
import functools
import math
from typing import Protocol

from redis.asyncio import Redis

from stores.autopipe import AutoPipeline
from stores.redis import Keys, Script

# Generic cell rate: each send reserves the next free slot; the answer is how long to
# wait for it. Redis's clock serves every process, so they share one schedule.
# The schedule is kept in milliseconds with their fraction (to the microsecond), so that a
# tier's interval is exact: 80 a second is 12.5 ms, not 12 (83 a second) nor 13. The
# answer is the wait in microseconds.
_RESERVE = Script(
    """
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + tonumber(now[2]) / 1000
local interval = tonumber(ARGV[1])
local slot = math.max(tonumber(redis.call('GET', KEYS[1]) or '0'), now_ms)
redis.call('SET', KEYS[1], string.format('%.3f', slot + interval), 'PX',
  math.ceil(interval) + 60000)
return math.floor((slot - now_ms) * 1000)
"""
)


# A window's slots: at least ARGV[1] ms after the last slot taken, and at most ARGV[2] in
# any ARGV[3] ms; the slots of the last window are kept (a sorted set of their times, a
# slot's time its own member: slots are strictly apart). The answer is the wait in ms.
_RESERVE_IN_WINDOW = Script(
    """
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local interval, most, window = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local slot = now_ms
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if last[2] then slot = math.max(slot, tonumber(last[2]) + interval) end
if redis.call('ZCARD', KEYS[1]) >= most then
  local oldest = redis.call('ZRANGE', KEYS[1], -most, -most, 'WITHSCORES')
  slot = math.max(slot, tonumber(oldest[2]) + window)
end
redis.call('ZADD', KEYS[1], slot, slot)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. (slot - window))
redis.call('PEXPIRE', KEYS[1], slot - now_ms + window)
return slot - now_ms
"""
)


# A pause of the whole schedule: no slot before ARGV[1] ms from now (a provider said its
# throughput was reached). A schedule already further on is left as it is.
_HOLD = Script(
    """
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + tonumber(now[2]) / 1000
local hold = tonumber(ARGV[1])
if tonumber(redis.call('GET', KEYS[1]) or '0') < now_ms + hold then
  redis.call('SET', KEYS[1], string.format('%.3f', now_ms + hold), 'PX', math.ceil(hold) + 60000)
end
return 0
"""
)


class BaseSharedRate(Protocol):
    """One schedule of send slots per key, shared by every process on the store."""

    async def reserve(self, key: str, per_second: float) -> float:
        """Take the next free slot of ``key``: the seconds until it comes (0 when now)."""

    async def wait(self, key: str, per_second: float) -> None:
        """Take the next free slot of ``key`` and sleep until it comes."""

    async def reserve_in_window(self, key: str, interval: float, most: int, window: float) -> float:
        """Take the next slot of ``key`` at least ``interval`` seconds after the last and
        with at most ``most`` in any ``window`` seconds: the seconds until it comes."""

    async def hold(self, key: str, seconds: float) -> None:
        """No slot of ``key`` for ``seconds`` from now, for every process."""


class SharedRate(BaseSharedRate):
    """At most ``per_second`` sends for a key, across every process on the Redis."""

    def __init__(self, redis: Redis, keys: Keys, together: AutoPipeline | None = None) -> None:
        self.redis = redis
        self.keys = keys
        self.together = together or AutoPipeline(redis)
        """Where the reservations of concurrent sends go out, in one round trip with the
        other callers' of the turn."""

    async def reserve(self, key: str, per_second: float) -> float:
        """Take the next free slot of ``key``: the seconds until it comes (0 when now)."""
        # In milliseconds to the microsecond, rounded up: never more than ``per_second``.
        interval = f"{math.ceil(1_000_000 / per_second) / 1000:.3f}"
        queue = functools.partial(_RESERVE.queue, keys=[self.keys.rate(key)], args=[interval])
        (delay_us,) = await self.together.run([queue])
        return max(int(delay_us), 0) / 1_000_000

    async def wait(self, key: str, per_second: float) -> None:
        """Take the next free slot of ``key`` and sleep until it comes."""
        delay = await self.reserve(key, per_second)
        if delay > 0:
            await asyncio.sleep(delay)

    async def hold(self, key: str, seconds: float) -> None:
        """No slot of ``key`` for ``seconds`` from now, for every process: the sends of
        the key pause together, as a provider whose throughput was reached asks."""
        args = [f"{seconds * 1000:.3f}"]
        queue = functools.partial(_HOLD.queue, keys=[self.keys.rate(key)], args=args)
        await self.together.run([queue])

    async def reserve_in_window(self, key: str, interval: float, most: int, window: float) -> float:
        """Take the next slot of ``key`` at least ``interval`` seconds after the last and
        with at most ``most`` in any ``window`` seconds (Telegram's 20 a minute in a
        group, 1 a second in a chat): the seconds until it comes."""
        args = [math.ceil(interval * 1000), most, math.ceil(window * 1000)]
        queue = functools.partial(_RESERVE_IN_WINDOW.queue, keys=[self.keys.rate(key)], args=args)
        (delay_ms,) = await self.together.run([queue])
        return max(int(delay_ms), 0) / 1000
