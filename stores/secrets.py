"""Secrets the processes of one deployment share when the environment gives none: made
by whichever process asks first (SET NX), then read by every other and every restart."""

from __future__ import annotations

from typing import Any, Protocol

from redis.asyncio import Redis

from stores.redis import Keys


class BaseSecretStore(Protocol):
    """Named secrets, each kept once and never replaced."""

    async def keep(self, name: str, candidate: str) -> bytes:
        """The secret ``name``: ``candidate`` if none was kept before, else the one kept."""


class SecretStore(BaseSecretStore):
    """Named secrets, each kept once and never replaced."""

    def __init__(self, redis: Redis, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys

    async def keep(self, name: str, candidate: str) -> bytes:
        """The secret ``name``: ``candidate`` if none was kept before, else the one kept."""
        key = self.keys.secret(name)
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.set(key, candidate, nx=True)
            pipe.get(key)
            _, stored = await pipe.execute()
        if stored is None:
            raise RuntimeError(f"{key} vanished while it was being read")
        found: Any = stored
        return found.encode("utf-8") if isinstance(found, str) else bytes(found)
