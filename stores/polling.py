"""Where a long-polling channel has read up to (CH-3): the update offset of each poller,
kept beside its lease (one hash tag) and only ever moved forward."""

from __future__ import annotations

from typing import Protocol

from redis.asyncio import Redis

from stores.redis import Keys, Script

# The offset only moves forward: a poller that lost its lease while paused cannot take
# it back and make the next one fetch old updates again (they would be deduped anyway).
_ADVANCE = Script(
    """
if tonumber(ARGV[1]) > tonumber(redis.call('GET', KEYS[1]) or '0') then
  redis.call('SET', KEYS[1], ARGV[1])
end
return tonumber(redis.call('GET', KEYS[1]))
"""
)


class BasePollOffsets(Protocol):
    """The update offset of each poller's lease, which only moves forward."""

    async def get(self, lease: str) -> int:
        """The offset stored for the poller of ``lease``; 0 before the first."""

    async def advance(self, lease: str, offset: int) -> int:
        """Move the offset of ``lease`` forward to ``offset`` (never back); the offset now."""


class PollOffsets(BasePollOffsets):
    """The offset of the poller holding each lease, shared by whichever process holds it."""

    def __init__(self, redis: Redis, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys

    async def get(self, lease: str) -> int:
        """The offset stored for the poller of ``lease``; 0 before the first."""
        return int(await self.redis.get(self.keys.poll_offset(lease)) or 0)

    async def advance(self, lease: str, offset: int) -> int:
        """Move the offset of ``lease`` forward to ``offset`` (never back); the offset now."""
        return int(await _ADVANCE(self.redis, [self.keys.poll_offset(lease)], [offset]))
