"""Claims: who works a conversation, as a collision warning rather than a lock (SN-5)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any, NamedTuple, Protocol

from redis.asyncio import Redis

from bot.model import Claim
from stores.redis import Keys, Pipe, Script, is_store_fault

__all__ = ["Claim", "ClaimStore"]

# Take the claim and say who held it before; it lapses after the idle time. Claiming again
# only restarts the idle time: "since" stays when the claim began. A new claim keeps whom
# it displaced until its event is queued (``announced``): a claim whose answer or event a
# store failure cut off tells it again when it is redone.
_CLAIM = Script(
    """
local before = redis.call('HGETALL', KEYS[1])
local fields = {}
for i = 1, #before, 2 do fields[before[i]] = before[i + 1] end
if fields['service'] ~= ARGV[1] or fields['agent'] ~= ARGV[2] then
  redis.call('DEL', KEYS[1])
  redis.call('HSET', KEYS[1], 'service', ARGV[1], 'agent', ARGV[2], 'since', ARGV[3],
    'unannounced', '1')
  if fields['service'] then
    redis.call('HSET', KEYS[1], 'was_service', fields['service'], 'was_agent',
      fields['agent'], 'was_since', fields['since'])
  end
end
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return before
"""
)

# The claim's event is queued: whom it displaced is no longer kept (only the same claim's).
_ANNOUNCED = Script(
    """
local holder = redis.call('HMGET', KEYS[1], 'service', 'agent', 'since')
if holder[1] == ARGV[1] and holder[2] == ARGV[2] and tonumber(holder[3]) == tonumber(ARGV[3])
then
  redis.call('HDEL', KEYS[1], 'unannounced', 'was_service', 'was_agent', 'was_since')
end
return 0
"""
)

# Release only the holder's own claim.
_RELEASE = Script(
    """
local holder = redis.call('HGETALL', KEYS[1])
if #holder == 0 then return {} end
local fields = {}
for i = 1, #holder, 2 do fields[holder[i]] = holder[i + 1] end
if fields['service'] == ARGV[1] and fields['agent'] == ARGV[2] then
  redis.call('DEL', KEYS[1])
  return {'released'}
end
return holder
"""
)


def _claim(flat: list[str], prefix: str = "") -> Claim | None:
    """The claim in a claim hash's fields; ``prefix`` "was_": the one it displaced."""
    fields = dict(zip(flat[::2], flat[1::2], strict=True))
    if f"{prefix}service" not in fields:
        return None
    service, agent = fields[f"{prefix}service"], fields[f"{prefix}agent"]
    return Claim(service, agent, float(fields[f"{prefix}since"]))


class Taken(NamedTuple):
    """What taking a claim came to."""

    before: Claim | None
    """The claim it replaced if someone else held it (until ``announced``, on a redo too)."""
    held: Claim
    untold: bool
    """Its event is yet to be queued: a new holder, or a claim whose event a store failure
    cut off before ``announced``; False when the holder claims again (the idle time alone
    starts again)."""


class BaseClaimStore(Protocol):
    """Who works each conversation, as a warning rather than a lock; claims lapse when idle."""

    async def claim(self, conversation_id: str, service: str, agent: str, idle: float) -> Taken:
        """Take the claim: the claim it replaced if someone else held it, and the new one.
        Until ``announced``, claiming again gives the same."""

    async def announced(self, conversation_id: str, held: Claim) -> None:
        """The event of ``held`` is queued: claiming again only restarts the idle time."""

    async def holder(self, conversation_id: str) -> Claim | None:
        """Who holds the conversation now; None when nobody does."""

    async def holders(self, conversation_ids: Sequence[str]) -> list[Claim | None]:
        """``holder`` of each conversation, in one round trip."""

    def queue_holders(self, pipe: Pipe, conversation_ids: Sequence[str]) -> None:
        """Queue the reads of ``holders`` on a round trip the caller makes."""

    def take_holders(self, answers: Sequence[Any]) -> list[Claim | None]:
        """``holders`` from the answers of what ``queue_holders`` queued."""

    def queue_held_lookup(self, pipe: Pipe, conversation_id: str) -> None:
        """Queue the read of whether anybody holds the conversation (1) or not (0)."""

    async def touch(self, conversation_id: str, idle: float) -> None:
        """The holder acted: the idle time starts again."""

    async def release(
        self, conversation_id: str, service: str, agent: str
    ) -> tuple[bool, Claim | None]:
        """Release one's own claim: (released, the other holder when it is not ours)."""

    async def lapsed(self, now: float, limit: int = 100) -> list[str]:
        """Conversations whose claim lapsed since the last call; each is reported once."""

    async def next_lapse(self) -> float | None:
        """When the first claim still to report lapses (Unix seconds); None when none."""


class ClaimStore(BaseClaimStore):
    """One claim per conversation, under its tag; the lapse index is one sorted set."""

    def __init__(self, redis: Redis, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys

    def _lapses(self) -> str:
        return self.keys.claim_lapses()

    async def claim(self, conversation_id: str, service: str, agent: str, idle: float) -> Taken:
        """Take the claim: the claim it replaced if someone else held it, and the new one.
        Until ``announced``, claiming again gives the same."""
        now = time.time()
        key = self.keys.conversation(conversation_id, "claim")
        flat = await _CLAIM(self.redis, [key], [service, agent, now, int(idle * 1000)])
        await self.redis.zadd(self._lapses(), {conversation_id: now + idle})
        before = _claim(flat)
        if before and (before.service, before.agent) == (service, agent):
            untold = "unannounced" in flat[::2]
            return Taken(_claim(flat, "was_") if untold else None, before, untold)
        return Taken(before, Claim(service, agent, now), True)

    async def announced(self, conversation_id: str, held: Claim) -> None:
        """The event of ``held`` is queued: claiming again only restarts the idle time."""
        key = self.keys.conversation(conversation_id, "claim")
        await _ANNOUNCED(self.redis, [key], [held.service, held.agent, held.since])

    async def holder(self, conversation_id: str) -> Claim | None:
        flat: Any = await self.redis.hgetall(self.keys.conversation(conversation_id, "claim"))
        return _claim([item for pair in flat.items() for item in pair])

    async def holders(self, conversation_ids: Sequence[str]) -> list[Claim | None]:
        """``holder`` of each conversation, in one round trip."""
        async with self.redis.pipeline(transaction=False) as pipe:
            self.queue_holders(pipe, conversation_ids)
            return self.take_holders(await pipe.execute())

    def queue_holders(self, pipe: Pipe, conversation_ids: Sequence[str]) -> None:
        """Queue the reads of ``holders`` on a round trip the caller makes; its answers (one
        per conversation) are for ``take_holders``."""
        for conversation_id in conversation_ids:
            pipe.hgetall(self.keys.conversation(conversation_id, "claim"))

    @staticmethod
    def take_holders(answers: Sequence[Any]) -> list[Claim | None]:
        return [_claim([item for pair in flat.items() for item in pair]) for flat in answers]

    def queue_held_lookup(self, pipe: Pipe, conversation_id: str) -> None:
        """Queue the read of whether anybody holds the conversation (1) or not (0)."""
        pipe.exists(self.keys.conversation(conversation_id, "claim"))

    async def touch(self, conversation_id: str, idle: float) -> None:
        """The holder acted: the idle time starts again."""
        key = self.keys.conversation(conversation_id, "claim")
        if await self.redis.pexpire(key, int(idle * 1000)):
            await self.redis.zadd(self._lapses(), {conversation_id: time.time() + idle})

    async def release(
        self, conversation_id: str, service: str, agent: str
    ) -> tuple[bool, Claim | None]:
        """Release one's own claim: (released, the other holder when it is not ours)."""
        key = self.keys.conversation(conversation_id, "claim")
        result = await _RELEASE(self.redis, [key], [service, agent])
        if result == ["released"]:
            try:
                await self.redis.zrem(self._lapses(), conversation_id)
            except Exception as error:  # released all the same: its event must go out
                if not is_store_fault(error):
                    raise  # left on the lapse index, it is reported lapsed: told twice, not never
            return True, None
        return False, _claim(result)

    async def lapsed(self, now: float, limit: int = 100) -> list[str]:
        """Conversations whose claim lapsed since the last call; each is reported once."""
        due: Any = await self.redis.zrangebyscore(self._lapses(), "-inf", now, 0, limit)
        lapsed = []
        for conversation_id in due:
            if not await self.redis.zrem(self._lapses(), conversation_id):
                continue  # another process reports this one
            left = await self.redis.pttl(self.keys.conversation(conversation_id, "claim"))
            if left > 0:  # due a moment early, or taken again: watch it until it lapses
                await self.redis.zadd(self._lapses(), {conversation_id: now + left / 1000})
            else:
                lapsed.append(str(conversation_id))
        return lapsed

    async def next_lapse(self) -> float | None:
        first: Any = await self.redis.zrange(self._lapses(), 0, 0, withscores=True)
        return float(first[0][1]) if first else None
