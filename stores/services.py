"""Services and the numbers they are attached to, in attach order; API tokens stored hashed."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from redis.asyncio import Redis

from bot.model import Service
from stores.redis import Keys, Script

# Attach keeps the first position a service ever took; attaching twice changes nothing.
_ATTACH = Script(
    """
for _, name in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do
  if name == ARGV[1] then return 0 end
end
redis.call('RPUSH', KEYS[1], ARGV[1])
return 1
"""
)


def token_hash(token: str) -> str:
    """Tokens are kept as SHA-256: long random values need no slow hash, and none is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Attachment:
    """What changed on a number: whether it changed, and its parent before and after."""

    changed: bool
    parent_before: str | None
    parent_after: str | None


class BaseServiceStore(Protocol):
    """Service definitions, the services of each number in attach order, API tokens."""

    async def save(self, service: Service) -> None:
        """Create or update a service's definition (URL, secret, masking, automation)."""

    async def get(self, name: str) -> Service | None:
        """The definition of ``name``; None when there is none."""

    async def get_many(self, names: Sequence[str]) -> dict[str, Service]:
        """The definitions of ``names`` that have one, in one round trip."""

    async def set_token(self, name: str, token: str) -> None:
        """Give ``name`` a new API token; the one before it stops working."""

    async def by_token(self, token: str) -> Service | None:
        """The service an API token belongs to; None for an unknown or replaced one."""

    async def attach(self, number: str, name: str) -> Attachment:
        """Attach ``name`` to ``number`` after the services there; twice changes nothing."""

    async def detach(self, number: str, name: str) -> Attachment:
        """Detach ``name`` from ``number``; the next service becomes parent."""

    async def order(self, number: str) -> list[str]:
        """The services attached to ``number``, in attach order: the first is the parent."""

    async def numbers(self) -> list[str]:
        """Every number that ever had a service, sorted."""

    async def attached(self, number: str) -> list[Service]:
        """The attached services' definitions, in attach order."""


class ServiceStore(BaseServiceStore):
    """Service definitions, per-number attach order, and the token index."""

    def __init__(self, redis: Redis, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys

    def _service(self, name: str) -> str:
        return self.keys.service(name)

    def _token(self, digest: str) -> str:
        return self.keys.service_token(digest)

    def _attached(self, number: str) -> str:
        return self.keys.attached(number)

    def _numbers(self) -> str:
        return self.keys.numbers()

    async def save(self, service: Service) -> None:
        """Create or update a service's definition (URL, secret, masking, automation)."""
        fields: dict[Any, Any] = {
            "name": service.name,
            "url": service.url,
            "secret": service.secret,
            "mask": "1" if service.mask else "0",
            "automation": json.dumps(service.automation or {}),
        }
        await self.redis.hset(self._service(service.name), mapping=fields)

    async def get(self, name: str) -> Service | None:
        fields: Any = await self.redis.hgetall(self._service(name))
        return _service(fields) if fields else None

    async def get_many(self, names: Sequence[str]) -> dict[str, Service]:
        if not names:
            return {}
        async with self.redis.pipeline(transaction=False) as pipe:
            for name in names:
                pipe.hgetall(self._service(name))
            found = await pipe.execute()
        return {name: _service(fields) for name, fields in zip(names, found, strict=True) if fields}

    async def set_token(self, name: str, token: str) -> None:
        """Give ``name`` a new API token; the one before it stops working."""
        digest = token_hash(token)
        old = await self.redis.hget(self._service(name), "token")
        async with self.redis.pipeline(transaction=False) as pipe:
            if old:
                pipe.delete(self._token(str(old)))
            pipe.set(self._token(digest), name)
            pipe.hset(self._service(name), "token", digest)
            await pipe.execute()

    async def by_token(self, token: str) -> Service | None:
        name = await self.redis.get(self._token(token_hash(token)))
        return await self.get(str(name)) if name else None

    async def attach(self, number: str, name: str) -> Attachment:
        before = await self.order(number)
        added = bool(await _ATTACH(self.redis, [self._attached(number)], [name]))
        await self.redis.sadd(self._numbers(), number)
        after = await self.order(number) if added else before
        return Attachment(added, _first(before), _first(after))

    async def detach(self, number: str, name: str) -> Attachment:
        before = await self.order(number)
        removed = bool(await self.redis.lrem(self._attached(number), 0, name))
        after = [item for item in before if item != name]
        return Attachment(removed, _first(before), _first(after))

    async def order(self, number: str) -> list[str]:
        """The services attached to ``number``, in attach order: the first is the parent."""
        names: Any = await self.redis.lrange(self._attached(number), 0, -1)
        return list(names)

    async def numbers(self) -> list[str]:
        numbers: Any = await self.redis.smembers(self._numbers())
        return sorted(numbers)

    async def attached(self, number: str) -> list[Service]:
        """The attached services' definitions, in attach order."""
        names = await self.order(number)
        found = await self.get_many(names)
        # A name without a definition (the runtime's own service) has no webhook.
        return [found.get(name) or Service(name, "", "") for name in names]


def _service(fields: dict[str, str]) -> Service:
    return Service(
        name=fields["name"],
        url=fields.get("url", ""),
        secret=fields.get("secret", ""),
        mask=fields.get("mask", "1") == "1",
        automation=json.loads(fields.get("automation") or "{}"),
    )


def _first(names: list[str]) -> str | None:
    return names[0] if names else None
