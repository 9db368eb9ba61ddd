"""Profiles and the identity index: one key per identity, pointing at its profile."""

from __future__ import annotations

import secrets
import time
from collections.abc import Sequence

from redis.asyncio import Redis

from bot.model import Identity
from stores.redis import Keys


def new_profile_id(at: float) -> str:
    """Profile ids sort by creation time, so "the oldest survives" needs no extra lookup."""
    return f"p_{int(at * 1000):012x}{secrets.token_hex(4)}"


class ProfileStore:
    """Find or create the profile behind a set of identities."""

    def __init__(self, redis: Redis, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys

    async def resolve(
        self,
        identities: Sequence[Identity],
        *,
        channel: str,
        name: str = "",
        at: float | None = None,
    ) -> str:
        """The profile of ``identities`` (the first one is the primary), created when new.

        A known customer costs one round trip. Several matching profiles are left for the
        merge step of stitching; the oldest is used meanwhile.
        """
        if not identities:
            raise ValueError("resolve needs at least one identity")
        at = time.time() if at is None else at
        index = [self.keys.identity(identity) for identity in identities]
        async with self.redis.pipeline(transaction=False) as pipe:
            for key in index:
                pipe.get(key)
            owners: list[str | None] = await pipe.execute()
        found = sorted({owner for owner in owners if owner})
        if found:
            profile_id = found[0]
        else:
            profile_id = new_profile_id(at)
            # Two workers may meet the same new customer at once; the first claim wins.
            if not await self.redis.set(index[0], profile_id, nx=True):
                winner = await self.redis.get(index[0])
                profile_id = str(winner)
                owners[0] = profile_id
        unclaimed = [key for key, owner in zip(index, owners, strict=True) if not owner]
        if not unclaimed and found:
            return profile_id
        async with self.redis.pipeline(transaction=False) as pipe:
            for key in unclaimed:
                pipe.set(key, profile_id, nx=True)
            pipe.hsetnx(self.keys.profile(profile_id), "id", profile_id)
            pipe.hsetnx(self.keys.profile(profile_id), "created_at", repr(at))
            pipe.hsetnx(self.keys.profile(profile_id), "stage", "lead")
            pipe.hsetnx(self.keys.profile(profile_id), "source", channel)
            if name:
                pipe.hsetnx(self.keys.profile(profile_id), "name", name)
            pipe.sadd(self.keys.profile(profile_id, "ids"), *(i.key for i in identities))
            await pipe.execute()
        return profile_id

    async def lookup(self, identity: Identity) -> str | None:
        owner = await self.redis.get(self.keys.identity(identity))
        return str(owner) if owner else None

    async def get(self, profile_id: str) -> dict[str, object]:
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hgetall(self.keys.profile(profile_id))
            pipe.smembers(self.keys.profile(profile_id, "ids"))
            fields, identities = await pipe.execute()
        if not fields:
            return {}
        return {**fields, "identities": sorted(identities)}
