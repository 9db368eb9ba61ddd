"""Batched reads behind a notification's audience: conversations, identity owners,
profiles and erasures, each a pipeline of one round trip whatever the batch size; and
the topics a customer unsubscribed from (the profile field ``f:topics_off``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from bot.model import Identity
from stores.profiles import ProfileStore
from stores.redis import Script

# One read-modify-write of a live profile's topics; a profile merged or erased meanwhile
# answers false, and the caller finds where it went. Past the cap (ARGV[1]) only a change
# that leaves more topics than there were is refused: a merge's union may be past it.
MAX_TOPICS_OFF = 100
"""Topics a profile may be unsubscribed from: each campaign to it reads them all."""

_TOPICS = Script(
    """
if redis.call('HEXISTS', KEYS[1], 'id') == 0 or redis.call('HEXISTS', KEYS[1], 'merged_into') == 1
  or redis.call('HEXISTS', KEYS[1], 'erased_at') == 1 then return false end
local topics, had = {}, 0
for topic in string.gmatch(redis.call('HGET', KEYS[1], 'f:topics_off') or '', '[^,%s]+') do
  if not topics[topic] then had = had + 1 end
  topics[topic] = true
end
local off = tonumber(ARGV[2])
for i = 3, off + 2 do topics[ARGV[i]] = true end
for i = off + 3, #ARGV do topics[ARGV[i]] = nil end
local list = {}
for topic in pairs(topics) do table.insert(list, topic) end
if #list > tonumber(ARGV[1]) and #list > had then return #list end
table.sort(list)
local joined = table.concat(list, ',')
if joined == '' then redis.call('HDEL', KEYS[1], 'f:topics_off')
else redis.call('HSET', KEYS[1], 'f:topics_off', joined) end
return joined
"""
)


class BaseAudienceReader(Protocol):
    """Batched reads behind a notification's audience, and a profile's unsubscribed topics."""

    async def conversations(self, conversation_ids: Sequence[str]) -> list[dict[str, str]]:
        """Each conversation's meta ({} when unknown)."""

    async def owners(self, identities: Sequence[Identity]) -> list[str | None]:
        """The profile each identity's index entry names (maybe merged since)."""

    async def roots(
        self, profile_ids: set[str], unowned: Sequence[Identity]
    ) -> tuple[dict[str, str], dict[Identity, float]]:
        """The live profile each id leads to, and when the unowned identities were erased."""

    def suppressed_as(self, identity: Identity) -> str:
        """The digest an erased identity (found so by ``roots``) is kept under."""

    async def profiles_of(self, profile_ids: Sequence[str]) -> list[dict[str, str]]:
        """Each profile's hash as stored ({} when unknown)."""

    async def opt_outs(
        self, recipients: Sequence[tuple[str, str]]
    ) -> list[tuple[dict[str, str], str]]:
        """For each (conversation, profile): the opt-out, the topics it left."""

    async def count_conversations(self, numbers: Sequence[str]) -> list[int]:
        """How many conversations each number has, in one round trip."""

    async def update_topics(
        self, profile_id: str, off: Sequence[str], on: Sequence[str]
    ) -> list[str] | None:
        """Unsubscribe a live profile from ``off`` and back to ``on``; None when not live."""


class AudienceReader(BaseAudienceReader):
    """What deciding about a batch of recipients needs to read."""

    def __init__(self, profiles: ProfileStore) -> None:
        self.profiles = profiles
        self.redis = profiles.redis
        self.keys = profiles.keys

    async def conversations(self, conversation_ids: Sequence[str]) -> list[dict[str, str]]:
        """Each conversation's meta ({} when unknown)."""
        if not conversation_ids:
            return []
        async with self.redis.pipeline(transaction=False) as pipe:
            for conversation_id in conversation_ids:
                pipe.hgetall(self.keys.conversation(conversation_id, "meta"))
            found: list[Any] = await pipe.execute()
        return [dict(meta) for meta in found]

    async def owners(self, identities: Sequence[Identity]) -> list[str | None]:
        """The profile each identity's index entry names (maybe merged since)."""
        return await self.profiles.owners(identities)

    async def roots(
        self, profile_ids: set[str], unowned: Sequence[Identity]
    ) -> tuple[dict[str, str], dict[Identity, float]]:
        """The live profile each id leads to ('' when erased or unknown), and when the
        identities nobody owns were erased (those never erased are left out)."""
        # The profile store reads both in one round trip; it is the one place that knows
        # how merge pointers are followed.
        return await self.profiles.roots_and_erasures(set(profile_ids), unowned)

    def suppressed_as(self, identity: Identity) -> str:
        return self.profiles.suppression.digest(identity)

    async def profiles_of(self, profile_ids: Sequence[str]) -> list[dict[str, str]]:
        """Each profile's hash as stored ({} when unknown)."""
        if not profile_ids:
            return []
        async with self.redis.pipeline(transaction=False) as pipe:
            for profile_id in profile_ids:
                pipe.hgetall(self.keys.profile(profile_id))
            found: list[Any] = await pipe.execute()
        return [dict(profile) for profile in found]

    async def opt_outs(
        self, recipients: Sequence[tuple[str, str]]
    ) -> list[tuple[dict[str, str], str]]:
        """For each (conversation, profile): the conversation's opt-out, and the profile's
        unsubscribed topics."""
        if not recipients:
            return []
        async with self.redis.pipeline(transaction=False) as pipe:
            for conversation_id, profile_id in recipients:
                pipe.hmget(self.keys.conversation(conversation_id, "meta"), "opted_out")
                pipe.hget(self.keys.profile(profile_id or "-"), "f:topics_off")
            found: list[Any] = await pipe.execute()
        return [
            ({"opted_out": found[n][0] or ""}, str(found[n + 1] or ""))
            for n in range(0, len(found), 2)
        ]

    async def count_conversations(self, numbers: Sequence[str]) -> list[int]:
        async with self.redis.pipeline(transaction=False) as pipe:
            for number in numbers:
                pipe.zcard(self.keys.conversations(number))
            return [int(count) for count in await pipe.execute()]

    async def update_topics(
        self, profile_id: str, off: Sequence[str], on: Sequence[str]
    ) -> list[str] | None:
        """Unsubscribe a live profile from ``off`` and back to ``on``; the topics it is
        unsubscribed from now, or None when the profile is no longer live. ValueError,
        and nothing changed, when it would leave more than ``MAX_TOPICS_OFF`` and more than
        it had."""
        args = [MAX_TOPICS_OFF, len(off), *off, *on]
        found = await _TOPICS(self.redis, [self.keys.profile(profile_id)], args)
        if isinstance(found, int):
            raise ValueError(f"a customer leaves at most {MAX_TOPICS_OFF} topics ({found} now)")
        return None if found is None else [t for t in str(found).split(",") if t]
