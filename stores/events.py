"""Each number's event log, kept for a retention window: a service that was down, or is
new, reads the events of its numbers in order from here.

A stream per number, ``{ev:<number>}``, holds the event ids in order; each event's body
and place in the stream are a hash beside it, ``{ev:<number>}:e:<event id>``, which
expires with the window. So an event is found by its id, appended once however often
the work that made it is redone, and rewritten in place by an erasure.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from redis.asyncio import Redis

from stores.redis import Keys, Pipe, Script

RETENTION = 7 * 24 * 3600.0
PAGE = 1000
"""Stream entries read at once by an erasure's scrub."""

_APPEND = Script(
    """
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
local id = redis.call('XADD', KEYS[1], 'MINID', '~', ARGV[3], '*', 'i', ARGV[1])
redis.call('HSET', KEYS[2], 's', id, 'b', ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
return 1
"""
)
_REWRITE = Script(
    """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'b', ARGV[1])
return 1
"""
)
"""An event's new body, unless it left with the window meanwhile (HSET keeps the TTL)."""


@dataclass(frozen=True, slots=True, order=True)
class Position:
    """Where an event is in the logs: its stream entry, then its number, so that the
    events of several numbers have one order."""

    ms: int
    seq: int
    number: str

    @classmethod
    def of(cls, entry_id: str, number: str) -> Position:
        ms, _, seq = entry_id.partition("-")
        return cls(int(ms), int(seq or 0), number)

    @property
    def entry_id(self) -> str:
        return f"{self.ms}-{self.seq}"


@dataclass(frozen=True, slots=True)
class LoggedEvent:
    """An event as its log keeps it."""

    position: Position
    event_id: str
    body: str


class BaseEventLog(Protocol):
    """The numbers' events in order, for a retention window."""

    def queue_append(self, pipe: Pipe, events: Sequence[tuple[str, str, str]]) -> None:
        """Queue each (number, event id, event JSON) at the end of its number's log, on a
        pipeline the caller executes; an event already there is not appended again."""

    async def append(self, events: Sequence[tuple[str, str, str]]) -> None:
        """``queue_append`` in a round trip of its own."""

    async def locate(self, numbers: Sequence[str], event_id: str) -> Position | None:
        """Where the event is in the logs of ``numbers``; None when it is in none of them
        (unknown, or older than the window)."""

    async def read(
        self, numbers: Sequence[str], after: Position | None, limit: int
    ) -> list[LoggedEvent]:
        """The first ``limit`` events of ``numbers`` after ``after`` (from the oldest
        kept, without it), in order."""

    async def last(self, numbers: Sequence[str]) -> Position | None:
        """Where the newest event of ``numbers`` is; None when their logs are empty: to
        read only what comes from now on."""

    async def scrub(
        self, numbers: Sequence[str], needles: Sequence[str], rewrite: Callable[[str], str | None]
    ) -> int:
        """Rewrite the events of ``numbers`` that hold one of ``needles``: ``rewrite`` gets
        the event JSON and gives the new one, or None to leave it. How many it rewrote."""


class EventLog(BaseEventLog):
    """The event logs on Redis, trimmed to ``retention`` seconds as they grow."""

    def __init__(self, redis: Redis, keys: Keys, retention: float = RETENTION) -> None:
        self.redis = redis
        self.keys = keys
        self.retention = retention

    def queue_append(self, pipe: Pipe, events: Sequence[tuple[str, str, str]]) -> None:
        oldest = f"{int((time.time() - self.retention) * 1000)}-0"
        ttl = int(self.retention * 1000)
        for number, event_id, body in events:
            keys = [self.keys.events(number), self.keys.event(number, event_id)]
            _APPEND.queue(pipe, keys, [event_id, body, oldest, ttl])

    async def append(self, events: Sequence[tuple[str, str, str]]) -> None:
        if not events:
            return
        async with self.redis.pipeline(transaction=False) as pipe:
            self.queue_append(pipe, events)
            await pipe.execute()

    async def locate(self, numbers: Sequence[str], event_id: str) -> Position | None:
        async with self.redis.pipeline(transaction=False) as pipe:
            for number in numbers:
                pipe.hget(self.keys.event(number, event_id), "s")
            found = await pipe.execute()
        for number, entry_id in zip(numbers, found, strict=True):
            if entry_id:
                return Position.of(entry_id, number)
        return None

    async def read(
        self, numbers: Sequence[str], after: Position | None, limit: int
    ) -> list[LoggedEvent]:
        # Each log from the cursor's entry on, itself included: another number's log may
        # hold an entry of the same id, after the cursor in the one order.
        start = after.entry_id if after else "-"
        async with self.redis.pipeline(transaction=False) as pipe:
            for number in numbers:
                pipe.xrange(self.keys.events(number), start, "+", count=limit + 1)
            pages = await pipe.execute()
        entries = sorted(
            (Position.of(entry_id, number), fields["i"])
            for number, page in zip(numbers, pages, strict=True)
            for entry_id, fields in page
        )
        chosen = [(at, event_id) for at, event_id in entries if after is None or at > after]
        chosen = chosen[:limit]
        async with self.redis.pipeline(transaction=False) as pipe:
            for at, event_id in chosen:
                pipe.hget(self.keys.event(at.number, event_id), "b")
            bodies = await pipe.execute()
        # An event past the window has no body left, though the trim of its log, which is
        # approximate, may not have reached its entry yet.
        return [
            LoggedEvent(at, event_id, body)
            for (at, event_id), body in zip(chosen, bodies, strict=True)
            if body
        ]

    async def last(self, numbers: Sequence[str]) -> Position | None:
        async with self.redis.pipeline(transaction=False) as pipe:
            for number in numbers:
                pipe.xrevrange(self.keys.events(number), "+", "-", count=1)
            pages = await pipe.execute()
        newest = [
            Position.of(page[0][0], number)
            for number, page in zip(numbers, pages, strict=True)
            if page
        ]
        return max(newest, default=None)

    async def scrub(
        self, numbers: Sequence[str], needles: Sequence[str], rewrite: Callable[[str], str | None]
    ) -> int:
        rewritten = 0
        for number in numbers:
            start = "-"
            while True:
                page: Any = await self.redis.xrange(
                    self.keys.events(number), start, "+", count=PAGE
                )
                if not page:
                    break
                rewritten += await self._scrub_page(
                    number, [fields["i"] for _, fields in page], needles, rewrite
                )
                start = "(" + page[-1][0]
        return rewritten

    async def _scrub_page(
        self,
        number: str,
        event_ids: Sequence[str],
        needles: Sequence[str],
        rewrite: Callable[[str], str | None],
    ) -> int:
        async with self.redis.pipeline(transaction=False) as pipe:
            for event_id in event_ids:
                pipe.hget(self.keys.event(number, event_id), "b")
            bodies = await pipe.execute()
        changes = []
        for event_id, body in zip(event_ids, bodies, strict=True):
            if body and any(needle in body for needle in needles):
                new = rewrite(body)
                if new is not None:
                    changes.append((event_id, new))
        if not changes:
            return 0
        async with self.redis.pipeline(transaction=False) as pipe:
            for event_id, new in changes:
                _REWRITE.queue(pipe, [self.keys.event(number, event_id)], [new])
            done = await pipe.execute()
        return sum(int(one) for one in done)
