"""Idempotency keys of the /v1 API: a request a service retries under the same key is
answered from here instead of being done twice.

One hash per (service, key), ``idem:<service>:<sha256 of the key>``: the request's
``fingerprint`` while it runs (with a short lease, so a process that dies mid-request
does not hold the key for a day), then its ``status`` and ``body`` for ``ttl`` seconds.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Literal, Protocol, cast

from redis.asyncio import Redis

from stores.redis import Keys, Script

DAY = 24 * 3600
IN_FLIGHT = 120.0
"""How long a request may hold its key before it is taken as abandoned (a crash)."""

Outcome = Literal["new", "in_flight", "mismatch", "done"]

_BEGIN = Script(
    """
local found = redis.call('HMGET', KEYS[1], 'fingerprint', 'status', 'body')
if not found[1] then
  redis.call('HSET', KEYS[1], 'fingerprint', ARGV[1])
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return {'new'}
end
if found[1] ~= ARGV[1] then return {'mismatch'} end
if not found[2] then return {'in_flight'} end
return {'done', found[2], found[3]}
"""
)
_FINISH = Script(
    """
if redis.call('HGET', KEYS[1], 'fingerprint') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'status', ARGV[2], 'body', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
"""
)
_RELEASE = Script(
    """
local found = redis.call('HMGET', KEYS[1], 'fingerprint', 'status')
if found[1] ~= ARGV[1] or found[2] then return 0 end
return redis.call('DEL', KEYS[1])
"""
)


@dataclass(frozen=True, slots=True)
class Remembered:
    """What the store knew of a key when a request under it began."""

    outcome: Outcome
    """``new`` (this request holds the key now), ``in_flight`` (another request with the
    same body holds it), ``mismatch`` (the key was used for another request) or ``done``
    (the answer below was given to the same request)."""
    status: int = 0
    body: str = ""


class BaseIdempotencyStore(Protocol):
    """Each service's idempotency keys: who holds one, and the answer given under it."""

    async def begin(self, service: str, key: str, fingerprint: str) -> Remembered:
        """Take ``key`` for a request with ``fingerprint``, or say why not."""

    async def finish(
        self, service: str, key: str, fingerprint: str, status: int, body: str
    ) -> bool:
        """Keep the answer of the request holding ``key``; False if it no longer held it."""

    async def release(self, service: str, key: str, fingerprint: str) -> bool:
        """Let go of ``key`` unanswered, so that a retry does the request; False if the
        key was not held by this request."""


class IdempotencyStore(BaseIdempotencyStore):
    """Idempotency keys on Redis: taken atomically, answers kept for ``ttl`` seconds."""

    def __init__(
        self, redis: Redis, keys: Keys, *, ttl: float = DAY, in_flight: float = IN_FLIGHT
    ) -> None:
        self.redis = redis
        self.keys = keys
        self.ttl = ttl
        self.in_flight = in_flight

    def _key(self, service: str, key: str) -> str:
        # The client's key is hashed: any string it sends makes a well-formed key name.
        return self.keys.idempotency(service, hashlib.sha256(key.encode()).hexdigest())

    async def begin(self, service: str, key: str, fingerprint: str) -> Remembered:
        """Take ``key`` for a request with ``fingerprint`` for ``in_flight`` seconds, or
        answer what holds it: the same request still running, another one, or the answer."""
        found: Any = await _BEGIN(
            self.redis, [self._key(service, key)], [fingerprint, int(self.in_flight * 1000)]
        )
        outcome = str(found[0])
        if outcome == "done":
            return Remembered("done", int(found[1]), str(found[2]))
        return Remembered(cast(Outcome, outcome))

    async def finish(
        self, service: str, key: str, fingerprint: str, status: int, body: str
    ) -> bool:
        """Keep the answer of the request holding ``key`` for ``ttl`` seconds."""
        args = [fingerprint, status, body, int(self.ttl * 1000)]
        return bool(await _FINISH(self.redis, [self._key(service, key)], args))

    async def release(self, service: str, key: str, fingerprint: str) -> bool:
        """Let go of ``key`` unanswered (the request failed before it did anything that
        stays), unless another request or an answer holds it."""
        return bool(await _RELEASE(self.redis, [self._key(service, key)], [fingerprint]))
