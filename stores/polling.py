"""Where a long-polling channel has read up to (CH-3): the update offset of each poller,
kept beside its lease (one hash tag), only ever moved forward, and only by the holder of
the lease's newest fencing token; forgotten six days after it last moved."""

from __future__ import annotations

from typing import Protocol

from redis.asyncio import Redis

from stores.redis import Keys, Script

# The offset only moves forward, and only under the lease's newest fencing token: a
# poller that lost its lease while paused can neither take the offset back nor move it
# on past updates the new holder has not stored.
_ADVANCE = Script(
    """
if tonumber(redis.call('GET', KEYS[2]) or '0') ~= tonumber(ARGV[2]) then return false end
if tonumber(ARGV[1]) > tonumber(redis.call('GET', KEYS[1]) or '0') then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[3])
end
return tonumber(redis.call('GET', KEYS[1]))
"""
)

OFFSET_SECONDS = 6 * 24 * 3600
"""How long an offset is kept after it last moved. After a week without updates, Telegram
numbers the next one at random, maybe below the offset, and an update below the offset
asked for is confirmed unseen: an offset that old is forgotten (Telegram forgets the
updates it confirmed, so starting from none replays nothing)."""


class BasePollOffsets(Protocol):
    """The update offset of each poller's lease, which only moves forward, and only for
    the lease's current holder."""

    async def get(self, lease: str) -> int:
        """The offset stored for the poller of ``lease``; 0 before the first."""

    async def advance(self, lease: str, offset: int, token: int) -> int | None:
        """Move the offset of ``lease`` forward to ``offset`` (never back); the offset now.
        None, and nothing written, when ``token`` is not the lease's newest fencing token."""


class PollOffsets(BasePollOffsets):
    """The offset of the poller holding each lease, shared by whichever process holds it."""

    def __init__(self, redis: Redis, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys

    async def get(self, lease: str) -> int:
        """The offset stored for the poller of ``lease``; 0 before the first."""
        return int(await self.redis.get(self.keys.poll_offset(lease)) or 0)

    async def advance(self, lease: str, offset: int, token: int) -> int | None:
        """Move the offset of ``lease`` forward to ``offset`` (never back); the offset now.
        None, and nothing written, when ``token`` is not the lease's newest fencing token."""
        keys = [self.keys.poll_offset(lease), self.keys.lease_fence(lease)]
        now = await _ADVANCE(self.redis, keys, [offset, token, OFFSET_SECONDS])
        return None if now is None else int(now)
