"""Bytes a pool may keep in a fixed window of time (an hour of visitors' files, say),
counted in Redis so that every process spends from the same budget."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from redis.asyncio import Redis

from stores.redis import Script

_SPEND = Script(
    """
local spent = tonumber(redis.call('GET', KEYS[1]) or '0')
if spent + tonumber(ARGV[1]) > tonumber(ARGV[2]) then return math.max(1, tonumber(ARGV[3])) end
redis.call('INCRBY', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 0
"""
)


async def spend(
    redis: Redis, key_of: Callable[[int], str], size: int, most: int, window: float
) -> float:
    """Count ``size`` bytes against the ``most`` that may be kept in a fixed ``window`` of
    seconds (``key_of`` names the Nth window's count): 0 when they fit, else the seconds
    until the next window."""
    now = time.time()
    index = int(now // window)
    left = max(1, math.ceil(((index + 1) * window - now) * 1000))
    return int(await _SPEND(redis, [key_of(index)], [size, most, left])) / 1000
