"""Profiles and the identity index: one key per identity, pointing at its profile."""

from __future__ import annotations

import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis

from bot.model import Identity
from stores.redis import Keys


@dataclass(frozen=True, slots=True)
class Sighting:
    """Identities seen together on one message; the first is the channel's own."""

    identities: tuple[Identity, ...]
    channel: str
    name: str
    at: float


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
        """The profile of ``identities`` (the first one is the primary), created when new."""
        at = time.time() if at is None else at
        (profile_id,) = await self.resolve_many([Sighting(tuple(identities), channel, name, at)])
        return profile_id

    async def resolve_many(self, sightings: Sequence[Sighting]) -> list[str]:
        """The profile of each sighting, in order; new customers get a new profile.

        One round trip when every customer is known, three when some are new, whatever
        the batch size. Several matching profiles are left for the merge step of
        stitching; the oldest is used meanwhile.
        """
        if any(not sighting.identities for sighting in sightings):
            raise ValueError("resolve needs at least one identity per sighting")
        keys = sorted({identity for s in sightings for identity in s.identities}, key=str)
        async with self.redis.pipeline(transaction=False) as pipe:
            for identity in keys:
                pipe.get(self.keys.identity(identity))
            owner = dict(zip(keys, await pipe.execute(), strict=True))

        # New customers: claim the primary identity; when two workers meet the same new
        # customer at once, the first claim wins and the other adopts it.
        fresh: dict[Identity, str] = {}
        for sighting in sightings:
            primary = sighting.identities[0]
            known = any(owner[identity] for identity in sighting.identities)
            if not known and primary not in fresh:
                fresh[primary] = new_profile_id(sighting.at)
        if fresh:
            async with self.redis.pipeline(transaction=False) as pipe:
                for primary, profile_id in fresh.items():
                    pipe.set(self.keys.identity(primary), profile_id, nx=True, get=True)
                claims = list(fresh.items())
                for (primary, profile_id), previous in zip(
                    claims, await pipe.execute(), strict=True
                ):
                    owner[primary] = previous or profile_id
                    if previous:
                        del fresh[primary]

        resolved: list[str] = []
        async with self.redis.pipeline(transaction=False) as pipe:
            for sighting in sightings:
                found = sorted({owner[i] for i in sighting.identities if owner[i]})
                profile_id = found[0]
                resolved.append(profile_id)
                unclaimed = [i for i in sighting.identities if not owner[i]]
                for identity in unclaimed:
                    pipe.set(self.keys.identity(identity), profile_id, nx=True)
                    owner[identity] = profile_id
                if unclaimed or fresh.get(sighting.identities[0]) == profile_id:
                    self._queue_profile(pipe, profile_id, sighting)
            if len(pipe):
                await pipe.execute()
        return resolved

    def _queue_profile(self, pipe: Any, profile_id: str, sighting: Sighting) -> None:
        key = self.keys.profile(profile_id)
        fields = {
            "id": profile_id,
            "created_at": repr(sighting.at),
            "stage": "lead",
            "source": sighting.channel,
        }
        if sighting.name:
            fields["name"] = sighting.name
        for field, value in fields.items():
            pipe.hsetnx(key, field, value)
        pipe.sadd(self.keys.profile(profile_id, "ids"), *(i.key for i in sighting.identities))

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
