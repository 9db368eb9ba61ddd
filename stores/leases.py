"""Leases: what only one process may do at a time, held with SET NX PX and a fencing token."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from redis.asyncio import Redis, RedisCluster

from stores.redis import Keys, Script

# The fence counter grows with every grant, so a holder that lost its lease while paused
# can be told apart from the current one by its smaller token. The grantee is noted until
# it lets go: a grant that finds a note took over from a holder that lapsed.
_ACQUIRE = Script(
    """
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return {tonumber(redis.call('GET', KEYS[2]) or '0'), 0}
end
if holder then return false end
local lapsed = redis.call('GET', KEYS[3])
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('SET', KEYS[3], ARGV[1])
local token = redis.call('INCR', KEYS[2])
redis.call('PERSIST', KEYS[2])  -- a count to forget once let go (release) is held again
return {token, lapsed and 1 or 0}
"""
)

# Renewing never takes the lease: a holder whose lease lapsed, or was granted again in
# between (a newer token), has lost what it did under the token it holds.
_RENEW = Script(
    """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if tonumber(redis.call('GET', KEYS[2]) or '0') ~= tonumber(ARGV[3]) then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
"""
)

# A holder's round: it says it is alive in its group, and keeps the leases it holds, in one
# command (its leases and the group are on other slots: one Redis only, see ``keep``).
_KEEP = Script(
    """
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[3]) - tonumber(ARGV[2]))
local alive = redis.call('ZCARD', KEYS[1])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) * 2)
local held = {}
for i = 2, #KEYS do
  if redis.call('GET', KEYS[i]) == ARGV[1] then
    redis.call('PEXPIRE', KEYS[i], ARGV[2])
    held[#held + 1] = 1
  else
    held[#held + 1] = 0
  end
end
return {alive, held}
"""
)

# A holder joins its group with a setting all its holders must share (the shard count):
# it joins, and the group's setting is its own, unless holders alive use another, which is
# the answer. In one step, so that two holders starting at once cannot both go on.
_AGREE = Script(
    """
local now, ttl = tonumber(ARGV[3]), tonumber(ARGV[4])
local used = redis.call('GET', KEYS[2])
if used and used ~= ARGV[2] and redis.call('ZCOUNT', KEYS[1], '(' .. (now - ttl), '+inf') > 0 then
  return used
end
redis.call('SET', KEYS[2], ARGV[2])
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('PEXPIRE', KEYS[1], ttl * 2)
return ARGV[2]
"""
)

_RELEASE = Script(
    """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if tonumber(ARGV[2]) > 0 then redis.call('PEXPIRE', KEYS[3], ARGV[2]) end
return redis.call('DEL', KEYS[1], KEYS[2])
"""
)


@dataclass(frozen=True)
class Grant:
    """A lease held: its fencing token, and whether it was taken over from a holder whose
    lease lapsed rather than one that let go of it."""

    token: int
    after_lapse: bool


class BaseLeases(Protocol):
    """Named leases held by one holder (a process) at a time, with fencing tokens."""

    async def acquire(self, name: str, ttl_ms: int) -> int | None:
        """Take or renew ``name``; the fencing token, or None while another holder has it."""

    async def grant(self, name: str, ttl_ms: int) -> Grant | None:
        """``acquire``, telling also whether the lease was taken from a holder that lapsed
        (a renewal is not)."""

    async def renew(self, name: str, ttl_ms: int, token: int) -> bool:
        """Keep ``name`` ``ttl_ms`` longer if this holder still has it under ``token``;
        False when it lapsed or was granted since, to another holder or to this one."""

    async def release(self, name: str, *, forget_after_ms: int = 0) -> None:
        """Let go of ``name`` if this holder has it; with ``forget_after_ms``, its fencing
        count is forgotten that long after, unless taken again (a lease made for one piece
        of work, such as a notification's run)."""

    async def heartbeat(self, group: str, ttl_ms: int) -> int:
        """Say this holder is alive in ``group``; how many holders are alive in it."""

    async def keep(self, group: str, names: Sequence[str], ttl_ms: int) -> tuple[int, list[bool]]:
        """``heartbeat`` in ``group`` and keep each of ``names`` this holder has ``ttl_ms``
        longer, in one step: how many holders are alive, and which of ``names`` it still has
        (on a Redis Cluster, one that lapsed and is free may be taken again)."""

    async def leave(self, group: str) -> None:
        """Leave ``group`` at once, rather than when the heartbeat lapses."""

    async def alive(self, group: str, ttl_ms: int) -> int:
        """How many holders said they were alive in ``group`` in the last ``ttl_ms``,
        without joining it."""

    async def setting(self, group: str) -> str | None:
        """The setting the holders of ``group`` last agreed on (``agree``); None when none
        ever joined it."""

    async def agree(self, group: str, setting: str, ttl_ms: int) -> str:
        """Join ``group`` with ``setting``, one every holder in it must share: the setting
        of the holders alive in it, ``setting`` unless they use another (then this
        holder has not joined)."""


class Leases(BaseLeases):
    """Grant, renew and release named leases for one holder (a process)."""

    def __init__(self, redis: Redis, keys: Keys, holder: str) -> None:
        self.redis = redis
        self.keys = keys
        self.holder = holder

    async def acquire(self, name: str, ttl_ms: int) -> int | None:
        """Take or renew ``name``; the fencing token, or None while another holder has it."""
        granted = await self.grant(name, ttl_ms)
        return None if granted is None else granted.token

    async def grant(self, name: str, ttl_ms: int) -> Grant | None:
        keys = [self.keys.lease(name), self.keys.lease_fence(name), self.keys.lease_held(name)]
        reply = await _ACQUIRE(self.redis, keys, [self.holder, ttl_ms])
        return None if reply is None else Grant(int(reply[0]), bool(reply[1]))

    async def renew(self, name: str, ttl_ms: int, token: int) -> bool:
        """Keep ``name`` ``ttl_ms`` longer if this holder still has it under ``token``;
        False when it lapsed or was granted since, to another holder or to this one."""
        keys = [self.keys.lease(name), self.keys.lease_fence(name)]
        return bool(await _RENEW(self.redis, keys, [self.holder, ttl_ms, token]))

    async def release(self, name: str, *, forget_after_ms: int = 0) -> None:
        keys = [self.keys.lease(name), self.keys.lease_held(name), self.keys.lease_fence(name)]
        await _RELEASE(self.redis, keys, [self.holder, forget_after_ms])

    async def heartbeat(self, group: str, ttl_ms: int) -> int:
        """Say this holder is alive in ``group``; how many holders are alive in it."""
        key = self.keys.lease(f"members:{group}")
        now_ms = int(time.time() * 1000)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.zadd(key, {self.holder: now_ms})
            pipe.zremrangebyscore(key, "-inf", now_ms - ttl_ms)
            pipe.zcard(key)
            pipe.pexpire(key, ttl_ms * 2)
            _, _, alive, _ = await pipe.execute()
        return int(alive)

    async def keep(self, group: str, names: Sequence[str], ttl_ms: int) -> tuple[int, list[bool]]:
        """``heartbeat`` and the renewal of every lease in hand as one command: the idle cost
        of holding leases is one command a round, however many are held."""
        if isinstance(self.redis, RedisCluster):  # keys of several slots: one call per key
            alive = await self.heartbeat(group, ttl_ms)
            return alive, [await self._renew_held(name, ttl_ms) for name in names]
        keys = [self.keys.lease(f"members:{group}"), *(self.keys.lease(name) for name in names)]
        now_ms = int(time.time() * 1000)
        alive, held = await _KEEP(self.redis, keys, [self.holder, ttl_ms, now_ms])
        return int(alive), [bool(flag) for flag in held]

    async def _renew_held(self, name: str, ttl_ms: int) -> bool:
        return await self.acquire(name, ttl_ms) is not None

    async def leave(self, group: str) -> None:
        await self.redis.zrem(self.keys.lease(f"members:{group}"), self.holder)

    async def alive(self, group: str, ttl_ms: int) -> int:
        since_ms = int(time.time() * 1000) - ttl_ms
        return int(await self.redis.zcount(self.keys.lease(f"members:{group}"), since_ms, "+inf"))

    def _members(self, group: str) -> tuple[str, str]:
        """The keys of ``group``: its holders alive, and the setting they agreed on."""
        members = self.keys.lease(f"members:{group}")
        return members, f"{members}:setting"

    async def setting(self, group: str) -> str | None:
        found: Any = await self.redis.get(self._members(group)[1])
        return None if found is None else str(found)

    async def agree(self, group: str, setting: str, ttl_ms: int) -> str:
        now_ms = int(time.time() * 1000)
        args = [self.holder, setting, now_ms, ttl_ms]
        return str(await _AGREE(self.redis, list(self._members(group)), args))
