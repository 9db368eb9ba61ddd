"""Suppression entries: hashes of erased identities, so stale data cannot re-create a
person (PS-7). Only a digest is kept, never the identity itself."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from redis.asyncio import Redis

from bot.model import Identity
from stores.redis import Keys, Pipe


def digest(identity: Identity) -> str:
    return hashlib.sha256(identity.key.encode()).hexdigest()


class BaseSuppression(Protocol):
    """When each erased identity was erased, kept as a digest of the identity only."""

    def queue_record(self, pipe: Pipe, identities: Iterable[Identity], at: float) -> None:
        """Note on the caller's pipeline that ``identities`` were erased ``at``."""

    def queue_lookup(self, pipe: Pipe, identities: Sequence[Identity]) -> None:
        """Queue the read of when ``identities`` were erased; ``read_lookup`` reads it."""

    @staticmethod
    def read_lookup(
        identities: Sequence[Identity], results: Sequence[Any]
    ) -> dict[Identity, float]:
        """The answers of ``queue_lookup``: when each was erased, those never erased left out."""

    async def erased_at(self, identities: Sequence[Identity]) -> dict[Identity, float]:
        """When each of ``identities`` was erased; those never erased are left out."""


class Suppression(BaseSuppression):
    """When each erased identity was erased; anything it sent before then is dropped."""

    def __init__(self, redis: Redis, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys

    def _key(self, identity: Identity) -> str:
        return self.keys.suppression(digest(identity))

    def queue_record(self, pipe: Pipe, identities: Iterable[Identity], at: float) -> None:
        for identity in identities:
            pipe.set(self._key(identity), repr(at))

    def queue_lookup(self, pipe: Pipe, identities: Sequence[Identity]) -> None:
        for identity in identities:
            pipe.get(self._key(identity))

    @staticmethod
    def read_lookup(
        identities: Sequence[Identity], results: Sequence[Any]
    ) -> dict[Identity, float]:
        return {i: float(at) for i, at in zip(identities, results, strict=True) if at}

    async def erased_at(self, identities: Sequence[Identity]) -> dict[Identity, float]:
        """When each of ``identities`` was erased; those never erased are left out."""
        if not identities:
            return {}
        async with self.redis.pipeline(transaction=False) as pipe:
            self.queue_lookup(pipe, identities)
            return self.read_lookup(identities, await pipe.execute())
