"""Services and the numbers they are attached to, in attach order; API tokens stored hashed."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

from redis.asyncio import Redis

from bot.model import Service
from stores.redis import Keys, Pipe, Script, queue_publish

# Attach keeps the first position a service ever took; attaching twice changes nothing.
# Every change moves the number's counter in the same script, so that a process that reads
# the counter knows whether its view of the number is still current (SN-7). Both return
# whether they changed anything and the order before. A detach is remembered until the
# service is attached again, so that a start (ARGV[2], the config file's services) does
# not undo it.
_ATTACH = Script(
    """
local before = redis.call('LRANGE', KEYS[1], 0, -1)
if ARGV[2] == '1' and redis.call('SISMEMBER', KEYS[3], ARGV[1]) == 1 then
  return {0, before}
end
redis.call('SREM', KEYS[3], ARGV[1])
for _, name in ipairs(before) do
  if name == ARGV[1] then return {0, before} end
end
if ARGV[3] == '1' then
  redis.call('LPUSH', KEYS[1], ARGV[1])
else
  redis.call('RPUSH', KEYS[1], ARGV[1])
end
return {1, before, redis.call('INCR', KEYS[2])}
"""
)

_DETACH = Script(
    """
local before = redis.call('LRANGE', KEYS[1], 0, -1)
local removed = redis.call('LREM', KEYS[1], 0, ARGV[1])
if removed > 0 then
  redis.call('INCR', KEYS[2])
  redis.call('SADD', KEYS[3], ARGV[1])
end
return {removed, before}
"""
)


class Version(NamedTuple):
    """How new a view of a number's services is: its attach and detach counter, and the
    counter of the service definitions (URL, masking, automation). Both only grow."""

    attachments: int
    definitions: int

    def covers(self, other: Version) -> bool:
        """Whether a view of this version has seen every change ``other`` counts."""
        return self.attachments >= other.attachments and self.definitions >= other.definitions

    def merged(self, other: Version) -> Version:
        """The newer of the two, counter by counter."""
        return Version(
            max(self.attachments, other.attachments), max(self.definitions, other.definitions)
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
    first: bool = False
    """The number's first attachment ever: it had no parent to change from (one whose
    services all detached had one)."""


class BaseServiceStore(Protocol):
    """Service definitions, the services of each number in attach order, API tokens."""

    async def save(self, service: Service) -> None:
        """Create or update a service's definition (URL, secret, masking, automation, batching)."""

    async def get(self, name: str) -> Service | None:
        """The definition of ``name``; None when there is none."""

    async def get_many(self, names: Sequence[str]) -> dict[str, Service]:
        """The definitions of ``names`` that have one, in one round trip."""

    async def set_token(self, name: str, token: str) -> None:
        """Give ``name`` a new API token; the one before it stops working."""

    async def by_token(self, token: str) -> Service | None:
        """The service an API token belongs to; None for an unknown or replaced one."""

    async def token_digest(self, name: str) -> str:
        """The digest of ``name``'s API token now; '' when it has none."""

    async def get_keyed(self, name: str) -> tuple[Service | None, str]:
        """``get`` and ``token_digest`` in one read."""

    async def attach(
        self, number: str, name: str, *, unless_detached: bool = False, first: bool = False
    ) -> Attachment:
        """Attach ``name`` to ``number`` after the services there (``first``: before them,
        its parent); twice changes nothing. ``unless_detached``: not when it was detached
        there since it was last attached (the config file's services, at start)."""

    async def detach(self, number: str, name: str) -> Attachment:
        """Detach ``name`` from ``number``; the next service becomes parent."""

    async def order(self, number: str) -> list[str]:
        """The services attached to ``number``, in attach order: the first is the parent."""

    async def numbers(self) -> list[str]:
        """Every number that ever had a service, sorted."""

    async def configured(self) -> set[str] | None:
        """The services the config file defined at the last start; None before any."""

    async def detached_somewhere(self) -> set[str]:
        """The services detached from some number since they were last attached to it."""

    async def set_configured(self, names: Sequence[str]) -> None:
        """Keep ``names`` as the services the config file defines now."""

    async def attached(self, number: str) -> list[Service]:
        """The attached services' definitions, in attach order."""

    async def attached_as_of(self, number: str) -> tuple[Version, list[Service]]:
        """The attached services' definitions, and a version they are at least as new as."""

    def queue_versions(self, pipe: Pipe, numbers: Sequence[str]) -> None:
        """Queue the reads of the numbers' versions on a round trip the caller makes."""

    def take_versions(self, answers: Sequence[Any]) -> list[Version]:
        """The numbers' versions from the answers of what ``queue_versions`` queued."""

    def queue_definitions_version(self, pipe: Pipe) -> None:
        """Queue the read of the definitions' change counter (one command) on a round trip
        the caller makes; its answer is for ``definitions_version``."""

    def definitions_version(self, answer: Any) -> int:
        """The definitions' change counter from the answer of ``queue_definitions_version``."""

    async def versions(self, numbers: Sequence[str]) -> list[Version]:
        """The numbers' versions, in a round trip of their own."""


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

    def _version(self, number: str) -> str:
        return self.keys.attached_version(number)

    async def save(self, service: Service) -> None:
        """Create or update a service's definition (URL, secret, masking, automation, batching)."""
        fields: dict[Any, Any] = {
            "name": service.name,
            "url": service.url,
            "secret": service.secret,
            "mask": "1" if service.mask else "0",
            "automation": json.dumps(service.automation or {}),
            "batch": str(service.batch),
        }
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hset(self._service(service.name), mapping=fields)
            # Counted after the write: whoever reads the new count reads the new definition.
            pipe.incr(self.keys.services_version())
            queue_publish(pipe, self.keys.fanout_changed(), "services")  # the couriers follow
            await pipe.execute()

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

    async def token_digest(self, name: str) -> str:
        digest = await self.redis.hget(self._service(name), "token")
        return str(digest) if digest else ""

    async def get_keyed(self, name: str) -> tuple[Service | None, str]:
        fields: Any = await self.redis.hgetall(self._service(name))
        return (_service(fields) if fields else None), str(fields.get("token") or "")

    async def attach(
        self, number: str, name: str, *, unless_detached: bool = False, first: bool = False
    ) -> Attachment:
        keys = [self._attached(number), self._version(number), self.keys.detached(number)]
        flags = ["1" if unless_detached else "", "1" if first else ""]
        added, before, *version = await _ATTACH(self.redis, keys, [name, *flags])
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.sadd(self._numbers(), number)
            queue_publish(pipe, self.keys.fanout_changed(), "services")  # the couriers follow
            await pipe.execute()
        after = ([name, *before] if first else [*before, name]) if added else before
        new = bool(added) and int(version[0]) == 1
        return Attachment(bool(added), _first(before), _first(after), new)

    async def detach(self, number: str, name: str) -> Attachment:
        keys = [self._attached(number), self._version(number), self.keys.detached(number)]
        removed, before = await _DETACH(self.redis, keys, [name])
        await self.redis.publish(self.keys.fanout_changed(), "services")  # the couriers follow
        after = [item for item in before if item != name]
        return Attachment(bool(removed), _first(before), _first(after))

    async def order(self, number: str) -> list[str]:
        """The services attached to ``number``, in attach order: the first is the parent."""
        names: Any = await self.redis.lrange(self._attached(number), 0, -1)
        return list(names)

    async def numbers(self) -> list[str]:
        numbers: Any = await self.redis.smembers(self._numbers())
        return sorted(numbers)

    async def detached_somewhere(self) -> set[str]:
        numbers = await self.numbers()
        async with self.redis.pipeline(transaction=False) as pipe:
            for number in numbers:
                pipe.smembers(self.keys.detached(number))
            found: list[Any] = await pipe.execute()
        return {str(name) for names in found for name in names}

    async def configured(self) -> set[str] | None:
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.exists(self.keys.services_configured())
            pipe.smembers(self.keys.services_configured())
            kept, names = await pipe.execute()
        # '' marks a file with no services, as a set cannot be empty.
        return {str(name) for name in names if name} if kept else None

    async def set_configured(self, names: Sequence[str]) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(self.keys.services_configured())
            pipe.sadd(self.keys.services_configured(), "", *names)
            await pipe.execute()

    async def attached(self, number: str) -> list[Service]:
        """The attached services' definitions, in attach order."""
        _, services = await self.attached_as_of(number)
        return services

    async def attached_as_of(self, number: str) -> tuple[Version, list[Service]]:
        """The attached services' definitions, and a version they are at least as new as.

        The counters are read before what they count, so a change made in between makes
        the version older than the view, never newer: the next check reads it again.
        """
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.get(self.keys.services_version())
            pipe.get(self._version(number))
            pipe.lrange(self._attached(number), 0, -1)
            definitions, attachments, names = await pipe.execute()
        version = Version(int(attachments or 0), int(definitions or 0))
        if not names:
            return version, []
        found = await self.get_many(names)
        # A name without a definition (the runtime's own service) has no webhook.
        return version, [found.get(name) or Service(name, "", "") for name in names]

    def queue_versions(self, pipe: Pipe, numbers: Sequence[str]) -> None:
        """Queue the reads of the numbers' versions on a round trip the caller makes:
        ``len(numbers) + 1`` answers, for ``take_versions``."""
        for number in numbers:
            pipe.get(self._version(number))
        pipe.get(self.keys.services_version())

    def take_versions(self, answers: Sequence[Any]) -> list[Version]:
        """The numbers' versions, in their order, from the answers to ``queue_versions``."""
        definitions = int(answers[-1] or 0)
        return [Version(int(attachments or 0), definitions) for attachments in answers[:-1]]

    def queue_definitions_version(self, pipe: Pipe) -> None:
        pipe.get(self.keys.services_version())

    def definitions_version(self, answer: Any) -> int:
        return int(answer or 0)

    async def versions(self, numbers: Sequence[str]) -> list[Version]:
        """The numbers' versions, in a round trip of their own."""
        async with self.redis.pipeline(transaction=False) as pipe:
            self.queue_versions(pipe, numbers)
            answers = await pipe.execute()
        return self.take_versions(answers)


def _service(fields: dict[str, str]) -> Service:
    return Service(
        name=fields["name"],
        url=fields.get("url", ""),
        secret=fields.get("secret", ""),
        mask=fields.get("mask", "1") == "1",
        automation=json.loads(fields.get("automation") or "{}"),
        batch=int(fields.get("batch") or 0),
    )


def _first(names: list[str]) -> str | None:
    return names[0] if names else None
