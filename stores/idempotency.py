"""Idempotency keys of the /v1 API: a request a service retries under the same key is
answered from here instead of being done twice.

One hash per (service, key), ``idem:<service>:<sha256 of the key>``: the request's
``fingerprint`` while it runs (with a short lease, so a process that dies mid-request
does not hold the key for a day), then its ``status`` and ``body`` for ``ttl`` seconds.
A set per profile or conversation an answer names, ``idem:of:<id>``, lists the answers
kept that name it, so that its erasure finds them (PS-7).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
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
if found[1] ~= ARGV[1] and found[1] ~= 'erased' then return {'mismatch'} end
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
# An erasure's answer in place of one kept that named the erased person: the request
# stays done (a retry sends nothing again), and what it answered is gone, its
# fingerprint too (a plain hash of a request naming a phone gives the phone back to
# whoever hashes that request for every number): any retry under the key gets the 410.
_FORGET = Script(
    """
if not redis.call('HGET', KEYS[1], 'status') then return 0 end
redis.call('HSET', KEYS[1], 'status', ARGV[1], 'body', ARGV[2], 'fingerprint', 'erased')
return 1
"""
)
ERASED_STATUS = 410
ERASED_BODY = '{"error": "the person this request named was erased"}'
"""What a retry of a request whose answer named an erased person gets."""
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
        self,
        service: str,
        key: str,
        fingerprint: str,
        status: int,
        body: str,
        subjects: Sequence[str] = (),
    ) -> bool:
        """Keep the answer of the request holding ``key``, listed under the profiles and
        conversations it names (``subjects``); False if it no longer held it."""

    async def release(self, service: str, key: str, fingerprint: str) -> bool:
        """Let go of ``key`` unanswered, so that a retry does the request; False if the
        key was not held by this request."""

    async def forget(self, subjects: Sequence[str]) -> int:
        """Erasure: the answers kept that name these profiles or conversations, each
        replaced by a 410; how many."""


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
        self,
        service: str,
        key: str,
        fingerprint: str,
        status: int,
        body: str,
        subjects: Sequence[str] = (),
    ) -> bool:
        """Keep the answer of the request holding ``key`` for ``ttl`` seconds, listed as
        long under each profile or conversation of ``subjects``."""
        name = self._key(service, key)
        args = [fingerprint, status, body, int(self.ttl * 1000)]
        if not await _FINISH(self.redis, [name], args):
            return False
        if subjects:
            async with self.redis.pipeline(transaction=False) as pipe:
                for subject in subjects:
                    pipe.sadd(self.keys.idempotency_of(subject), name)
                    pipe.expire(self.keys.idempotency_of(subject), int(self.ttl))
                await pipe.execute()
        return True

    async def forget(self, subjects: Sequence[str]) -> int:
        """Erasure (PS-7): each answer kept that names one of these profiles or
        conversations becomes a 410, so that a retry neither gets the erased person's
        data back nor does the request again; how many."""
        lists = [self.keys.idempotency_of(subject) for subject in subjects]
        async with self.redis.pipeline(transaction=False) as pipe:
            for name in lists:
                pipe.smembers(name)
            found: list[Any] = await pipe.execute()
        answers = sorted({str(name) for members in found for name in members})
        forgotten = 0
        async with self.redis.pipeline(transaction=False) as pipe:
            for name in answers:
                _FORGET.queue(pipe, [name], [ERASED_STATUS, ERASED_BODY])
            forgotten = sum(await pipe.execute())
        if lists:
            await self.redis.delete(*lists)
        return forgotten

    async def release(self, service: str, key: str, fingerprint: str) -> bool:
        """Let go of ``key`` unanswered (the request failed before it did anything that
        stays), unless another request or an answer holds it."""
        return bool(await _RELEASE(self.redis, [self._key(service, key)], [fingerprint]))
