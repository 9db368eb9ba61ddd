"""Suppression entries: keyed digests of erased identities, so stale data cannot re-create
a person (PS-7). Only a digest is kept, never the identity itself."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, Protocol

from redis.asyncio import Redis

from bot.model import Identity
from stores.redis import Keys, Pipe


def digest(identity: Identity, key: bytes = b"") -> str:
    """An HMAC-SHA256 of the identity under ``key``: a plain hash of a phone number is
    found again by hashing every number of its country. Without a key, that plain SHA-256,
    as the versions before kept their entries."""
    if key:
        return hmac.new(key, identity.key.encode(), hashlib.sha256).hexdigest()
    return hashlib.sha256(identity.key.encode()).hexdigest()


class BaseSuppression(Protocol):
    """When each erased identity was erased, kept as a digest of the identity only."""

    async def ready(self) -> None:
        """Load the key of the digests, once; before any ``queue_*`` or ``digest``."""

    def digest(self, identity: Identity) -> str:
        """The digest ``identity`` is kept under."""

    def queue_record(self, pipe: Pipe, identities: Iterable[Identity], at: float) -> None:
        """Note on the caller's pipeline that ``identities`` were erased ``at``."""

    def queue_lookup(self, pipe: Pipe, identities: Sequence[Identity]) -> None:
        """Queue the read of when ``identities`` were erased; ``read_lookup`` reads it."""

    def read_lookup(
        self, identities: Sequence[Identity], results: Sequence[Any]
    ) -> dict[Identity, float]:
        """The answers of ``queue_lookup``: when each was erased, those never erased left out."""

    async def erased_at(self, identities: Sequence[Identity]) -> dict[Identity, float]:
        """When each of ``identities`` was erased; those never erased are left out."""


class Suppression(BaseSuppression):
    """When each erased identity was erased; anything it sent before then is dropped.

    ``load_secret`` gives the secret the digests are keyed by (the links' secret); an
    entry kept as a plain digest, by a version before, is still read beside the keyed one.
    Without it, entries are plain digests."""

    def __init__(
        self,
        redis: Redis,
        keys: Keys,
        load_secret: Callable[[], Awaitable[bytes]] | None = None,
    ) -> None:
        self.redis = redis
        self.keys = keys
        self._load_secret = load_secret
        self._key = b""

    async def ready(self) -> None:
        if self._load_secret is not None and not self._key:
            secret = await self._load_secret()
            self._key = hmac.new(secret, b"switchboard/suppression/v1", hashlib.sha256).digest()

    def digest(self, identity: Identity) -> str:
        if self._load_secret is not None and not self._key:
            raise RuntimeError("Suppression.ready() was not awaited: no key to digest with")
        return digest(identity, self._key)

    def _keys(self, identity: Identity) -> list[str]:
        """Where ``identity``'s entry may be: under its keyed digest, and its plain one."""
        found = [self.keys.suppression(self.digest(identity))]
        if self._key:
            found.append(self.keys.suppression(digest(identity)))
        return found

    def queue_record(self, pipe: Pipe, identities: Iterable[Identity], at: float) -> None:
        for identity in identities:
            pipe.set(self.keys.suppression(self.digest(identity)), repr(at))

    def queue_lookup(self, pipe: Pipe, identities: Sequence[Identity]) -> None:
        for identity in identities:
            for key in self._keys(identity):
                pipe.get(key)

    def read_lookup(
        self, identities: Sequence[Identity], results: Sequence[Any]
    ) -> dict[Identity, float]:
        each = 2 if self._key else 1
        found: dict[Identity, float] = {}
        for n, identity in enumerate(identities):
            times = [float(at) for at in results[n * each : (n + 1) * each] if at]
            if times:
                found[identity] = max(times)
        return found

    async def erased_at(self, identities: Sequence[Identity]) -> dict[Identity, float]:
        """When each of ``identities`` was erased; those never erased are left out."""
        if not identities:
            return {}
        await self.ready()
        async with self.redis.pipeline(transaction=False) as pipe:
            self.queue_lookup(pipe, identities)
            return self.read_lookup(identities, await pipe.execute())
