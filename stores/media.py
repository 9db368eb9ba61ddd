"""Uploaded files: the bytes and what they are, kept for a while and then gone.

One record per file under its own hash tag, ``{md:<id>}``: ``meta`` (a hash: type, size,
name, owner, number, times) and ``data`` (the bytes as they came), written together in
one transaction with the same expiry, so a file is never found without its bytes.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from redis.asyncio import Redis
from redis.client import NEVER_DECODE

from stores import budgets
from stores.redis import Keys, Script

DAY = 24 * 3600
PREFIX = "med_"
PIECE = 512 * 1024
"""The bytes of a file read from Redis at a time: a reader holds a piece, never the file."""


# A file kept under an id made from its upload's: only when none is kept there yet.
# KEYS: meta, data. ARGV: milliseconds kept, the bytes, then the meta's field-value pairs.
_KEEP_FIRST = Script(
    """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
redis.call('PEXPIRE', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[1])
return 1
"""
)


def _id_of(key: str) -> str:
    """22 URL-safe characters made from ``key``, as ``token_urlsafe(16)`` gives."""
    digest = hashlib.blake2b(key.encode(), digest_size=16, person=b"switchboard-med").digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


# A file kept longer: never shorter, its meta and bytes together, its ``expires_at`` with them.
# KEYS: meta, data. ARGV: milliseconds kept from now, the new expires_at. 1 when extended.
_KEEP_LONGER = Script(
    """
if redis.call('EXISTS', KEYS[1]) == 0 or redis.call('EXISTS', KEYS[2]) == 0 then return 0 end
local left = math.min(redis.call('PTTL', KEYS[1]), redis.call('PTTL', KEYS[2]))
if left < 0 or left >= tonumber(ARGV[1]) then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
redis.call('HSET', KEYS[1], 'expires_at', ARGV[2])
return 1
"""
)


# Bytes counted against a window's budget when they fit in it. KEYS: the window's count.
# ARGV: the bytes, the most, the ms until the window ends. 0 when counted, else those ms.
MEDIA_ID = re.compile(r"med_[A-Za-z0-9_-]{22}")
"""The id of an uploaded file: ``med_`` and 16 random bytes, base64url."""

_REMEMBER = Script(
    """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
return redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
"""
)


@dataclass(frozen=True, slots=True)
class MediaRecord:
    """A file kept in the store: what it is and who may use it; never its bytes."""

    id: str
    content_type: str
    size: int
    filename: str
    owner: str
    """Who put it there: a service's name, or ``web:<visitor>`` for a web chat visitor."""
    number: str
    """The number it belongs to, when it came in on one; empty for a service's upload,
    which only its owner uses."""
    created_at: float
    expires_at: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.content_type,
            "size": self.size,
            "filename": self.filename,
            "created_at": self.created_at,
            "expires_at": self.expires_at,
        }


class BaseMediaStore(Protocol):
    """Files by id, each with its bytes, kept for a time and then forgotten."""

    async def save(
        self,
        data: bytes,
        content_type: str,
        filename: str,
        owner: str,
        *,
        number: str = "",
        ttl: float = DAY,
        retried_as: str = "",
    ) -> MediaRecord:
        """Keep ``data`` for ``ttl`` seconds under a new id; the record as kept. With
        ``retried_as`` (a secret to the uploader), the id is made from it: an upload made
        again is kept once."""

    async def record(self, media_id: str) -> MediaRecord | None:
        """What is kept under ``media_id``, or None (unknown, expired or malformed id)."""

    async def kept_as(self, retried_as: str) -> MediaRecord | None:
        """What ``save`` kept under ``retried_as``, or None (never kept, or expired)."""

    async def load(self, media_id: str) -> tuple[MediaRecord, bytes] | None:
        """The record and its bytes, or None as ``record``."""

    async def opened(self, media_id: str) -> tuple[MediaRecord, AsyncIterator[bytes]] | None:
        """The record and its bytes piece by piece, or None as ``record``; the bytes end
        early when the file is deleted or expires while they are read."""

    async def keep(self, media_id: str, ttl: float) -> None:
        """Keep a file at least ``ttl`` seconds from now: longer when it was to go sooner,
        never shorter; a file gone (or unknown) stays gone."""

    async def remember(self, media_id: str, name: str, value: str) -> None:
        """Note a fact about a kept file (a provider's id for it), for as long as it lives."""

    async def recall(self, media_id: str, name: str) -> str:
        """A fact noted with ``remember``, or an empty string."""

    async def forget(self, refs: Sequence[str]) -> None:
        """Files an erased customer sent (PS-7): the uploads among them are deleted, and
        none of them is to be fetched again (``erased``)."""

    async def erased(self, ref: str) -> bool:
        """Whether ``ref`` is a file ``forget`` was told of."""

    async def spend(self, pool: str, size: int, most: int, window: float) -> float:
        """Count ``size`` bytes against the ``most`` that ``pool`` may keep in a fixed
        ``window`` of seconds: 0 when they fit, else the seconds until the next window."""


class MediaStore(BaseMediaStore):
    """Files on Redis: meta and bytes under one hash tag, expiring together."""

    def __init__(self, redis: Redis, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys

    async def save(
        self,
        data: bytes,
        content_type: str,
        filename: str,
        owner: str,
        *,
        number: str = "",
        ttl: float = DAY,
        retried_as: str = "",
    ) -> MediaRecord:
        """Keep ``data`` for ``ttl`` seconds under a new id; the record as kept."""
        now = time.time()
        record = MediaRecord(
            id=PREFIX + (_id_of(retried_as) if retried_as else secrets.token_urlsafe(16)),
            content_type=content_type,
            size=len(data),
            filename=filename,
            owner=owner,
            number=number,
            created_at=now,
            expires_at=now + ttl,
        )
        fields: dict[Any, Any] = {
            "type": content_type,
            "size": len(data),
            "filename": filename,
            "owner": owner,
            "number": number,
            "created_at": repr(now),
            "expires_at": repr(record.expires_at),
        }
        millis = max(1, int(ttl * 1000))
        keys = [self.keys.media(record.id, "meta"), self.keys.media(record.id, "data")]
        if retried_as:  # the first upload stays: one the services were shown never changes
            pairs = [item for pair in fields.items() for item in pair]
            if not int(await _KEEP_FIRST(self.redis, keys, [millis, data, *pairs])):
                return await self.record(record.id) or record
            return record
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(keys[0], mapping=fields)
            pipe.pexpire(keys[0], millis)
            pipe.set(keys[1], data, px=millis)
            await pipe.execute()
        return record

    async def kept_as(self, retried_as: str) -> MediaRecord | None:
        return await self.record(PREFIX + _id_of(retried_as))

    async def record(self, media_id: str) -> MediaRecord | None:
        """What is kept under ``media_id``, or None (unknown, expired or malformed id)."""
        if not isinstance(media_id, str) or not MEDIA_ID.fullmatch(media_id):
            return None
        found: Any = await self.redis.hgetall(self.keys.media(media_id, "meta"))
        return _record(media_id, found)

    async def load(self, media_id: str) -> tuple[MediaRecord, bytes] | None:
        """The record and its bytes, or None as ``record``."""
        if not isinstance(media_id, str) or not MEDIA_ID.fullmatch(media_id):
            return None
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hgetall(self.keys.media(media_id, "meta"))
            # The client decodes answers to text; the bytes must come back as they went.
            pipe.execute_command("GET", self.keys.media(media_id, "data"), **{NEVER_DECODE: True})
            meta, data = await pipe.execute()
        record = _record(media_id, meta)
        if record is None or data is None:
            return None
        return record, bytes(data)

    async def opened(self, media_id: str) -> tuple[MediaRecord, AsyncIterator[bytes]] | None:
        """The record and its bytes, ``PIECE`` at a time (GETRANGE): the first with the
        record, in one round trip, and each of the others as it is asked for."""
        if not isinstance(media_id, str) or not MEDIA_ID.fullmatch(media_id):
            return None
        data = self.keys.media(media_id, "data")
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hgetall(self.keys.media(media_id, "meta"))
            pipe.execute_command("GETRANGE", data, 0, PIECE - 1, **{NEVER_DECODE: True})
            meta, first = await pipe.execute()
        record = _record(media_id, meta)
        if record is None or not first:
            return None
        return record, self._pieces(data, bytes(first), record.size)

    async def _pieces(self, key: str, first: bytes, size: int) -> AsyncIterator[bytes]:
        yield first
        start = len(first)
        while start < size:
            end = start + PIECE - 1
            piece = await self.redis.execute_command(
                "GETRANGE", key, start, end, **{NEVER_DECODE: True}
            )
            if not piece:  # deleted or expired meanwhile
                return
            yield bytes(piece)
            start += len(piece)

    async def keep(self, media_id: str, ttl: float) -> None:
        """Keep a file at least ``ttl`` seconds from now, its meta and bytes together."""
        if not isinstance(media_id, str) or not MEDIA_ID.fullmatch(media_id):
            return
        millis = max(1, int(ttl * 1000))
        keys = [self.keys.media(media_id, "meta"), self.keys.media(media_id, "data")]
        await _KEEP_LONGER(self.redis, keys, [millis, repr(time.time() + ttl)])

    async def remember(self, media_id: str, name: str, value: str) -> None:
        """Note a fact about a kept file, which expires with it (the key keeps its TTL)."""
        # In one step: a note on a file that just expired would be a key that never does.
        if MEDIA_ID.fullmatch(media_id):
            key = self.keys.media(media_id, "meta")
            await _REMEMBER(self.redis, [key], [f"note:{name}", value])

    async def recall(self, media_id: str, name: str) -> str:
        if not MEDIA_ID.fullmatch(media_id):
            return ""
        found = await self.redis.hget(self.keys.media(media_id, "meta"), f"note:{name}")
        return str(found) if found else ""

    async def forget(self, refs: Sequence[str]) -> None:
        if not refs:
            return
        async with self.redis.pipeline(transaction=False) as pipe:
            for ref in refs:
                if MEDIA_ID.fullmatch(ref):
                    pipe.delete(self.keys.media(ref, "meta"), self.keys.media(ref, "data"))
                pipe.set(self.keys.media_erased(ref), "1")
            await pipe.execute()

    async def erased(self, ref: str) -> bool:
        return bool(await self.redis.exists(self.keys.media_erased(ref)))

    async def spend(self, pool: str, size: int, most: int, window: float) -> float:
        """Count ``size`` bytes against the ``most`` that ``pool`` may keep in a fixed
        ``window`` of seconds: 0 when they fit, else the seconds until the next window."""
        return await budgets.spend(
            self.redis, lambda index: self.keys.media_budget(pool, index), size, most, window
        )


def _record(media_id: str, meta: dict[str, str]) -> MediaRecord | None:
    if not meta or "type" not in meta:
        return None
    return MediaRecord(
        id=media_id,
        content_type=meta["type"],
        size=int(meta.get("size", 0)),
        filename=meta.get("filename", ""),
        owner=meta.get("owner", ""),
        number=meta.get("number", ""),
        created_at=float(meta.get("created_at", 0)),
        expires_at=float(meta.get("expires_at", 0)),
    )
