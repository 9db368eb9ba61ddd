"""Each number's event log, kept for a retention window: a service that was down, or is
new, reads the events of its numbers in order from here.

A stream per number, ``{ev:<number>}``, holds the event ids in order; each event's place
in the stream and its body are a string beside it, ``{ev:<number>}:e:<event id>`` holding
``<stream entry id> <event JSON>``, which expires with the window. So an event is found by
its id, appended once however often the work that made it is redone (the string is set
only if absent), and rewritten in place by an erasure, which leaves no copy of the old
body behind (a stream entry cannot be rewritten: deleted, its bytes stay in the stream's
nodes until the whole node goes).

Events appended before this layout have a hash there instead, ``s`` (the stream entry id)
and ``b`` (the body); they are read from it until they leave with the window.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from redis.asyncio import Redis, RedisCluster
from redis.exceptions import ResponseError

from stores.redis import Keys, Pipe, Script

RETENTION = 7 * 24 * 3600.0
PAGE = 1000
"""Stream entries read at once by an erasure's scrub."""
CLUSTER_SKEW_MS = 250
"""On a Redis Cluster each log's ids come from its node's clock: a millisecond is over
for a settled read once it is this much over by the clock of the node that says."""

_APPEND = Script(
    """
local id = redis.call('XADD', KEYS[1], 'MINID', '~', ARGV[3], '*', 'i', ARGV[1])
if redis.call('SET', KEYS[2], id .. ' ' .. ARGV[2], 'NX', 'PX', ARGV[4]) then return 1 end
redis.call('XDEL', KEYS[1], id)
return 0
"""
)
"""Two commands for an event appended (XADD, SET), and an XDEL more for one that was there
already: the work that made it was redone. Its string, set only if absent, is what makes
the append happen once; an event of the old layout (a hash) counts as there."""


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


@dataclass(frozen=True, slots=True)
class Tailed:
    """A page of several logs, each read after an entry of its own."""

    events: list[LoggedEvent]
    """In the one order of the logs."""
    reached: dict[str, str]
    """Each log's entry id read up to, its events past the window included: where it reads
    on from."""
    more: bool
    """The page was cut at its limit: there is more to read now."""


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
        self, numbers: Sequence[str], after: Position | None, limit: int, *, settled: bool = False
    ) -> list[LoggedEvent]:
        """The first ``limit`` events of ``numbers`` after ``after`` (from the oldest
        kept, without it), in order. ``settled``: only those of a millisecond that is over
        by the store's clock, which no later append can come before: a reader that goes
        on from the last one it got then misses none (the order of several logs puts the
        entries of one millisecond by number, not by when they came)."""

    async def read_each(self, after: Mapping[str, str], limit: int) -> Tailed:
        """The first ``limit`` events of the logs of ``after``'s numbers, each log's after
        its own entry id (without it), in the one order; and where each log was read up to.
        Each log is read on from its own place, so an entry appended later is read
        whichever number it is on and however its id compares with another log's."""

    async def newest(self, numbers: Sequence[str]) -> dict[str, str]:
        """Each log's newest entry id (``0-0`` for an empty log): reading each after it,
        with ``read_each``, gives only what is appended from now on."""

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
        self._skew_ms = CLUSTER_SKEW_MS if isinstance(redis, RedisCluster) else 0

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
        stored = await self._stored([self.keys.event(number, event_id) for number in numbers])
        for number, found in zip(numbers, stored, strict=True):
            if found:
                return Position.of(found[0], number)
        return None

    async def read(
        self, numbers: Sequence[str], after: Position | None, limit: int, *, settled: bool = False
    ) -> list[LoggedEvent]:
        # Each log from the cursor's entry on, itself included: another number's log may
        # hold an entry of the same id, after the cursor in the one order.
        start = after.entry_id if after else "-"
        # The clock first: what is appended after it has an id of its millisecond or later.
        # A cluster's pipeline refuses TIME (no key, no node): a round trip of its own.
        clock = await self.redis.time() if settled and self._skew_ms else None
        async with self.redis.pipeline(transaction=False) as pipe:
            if settled and clock is None:
                pipe.time()
            for number in numbers:
                pipe.xrange(self.keys.events(number), start, "+", count=limit + 1)
            pages = await pipe.execute()
        before = math.inf
        if settled:
            if clock is None:
                clock, *pages = pages
            seconds, micros = clock
            before = int(seconds) * 1000 + int(micros) // 1000 - self._skew_ms
        entries = sorted(
            (at, fields["i"])
            for number, page in zip(numbers, pages, strict=True)
            for entry_id, fields in page
            if (at := Position.of(entry_id, number)).ms < before
        )
        chosen = [(at, event_id) for at, event_id in entries if after is None or at > after]
        return await self._with_bodies(chosen[:limit])

    async def read_each(self, after: Mapping[str, str], limit: int) -> Tailed:
        numbers = list(after)
        if not numbers:
            return Tailed([], {}, more=False)
        async with self.redis.pipeline(transaction=False) as pipe:
            for number in numbers:
                pipe.xrange(self.keys.events(number), "(" + after[number], "+", count=limit + 1)
            pages = await pipe.execute()
        entries = sorted(
            (Position.of(entry_id, number), fields["i"])
            for number, page in zip(numbers, pages, strict=True)
            for entry_id, fields in page
        )
        chosen = entries[:limit]
        # Each log's entries are in its order, so those chosen are the first of its page.
        reached = dict(after)
        for at, _ in chosen:
            reached[at.number] = at.entry_id
        return Tailed(await self._with_bodies(chosen), reached, more=len(entries) > limit)

    async def newest(self, numbers: Sequence[str]) -> dict[str, str]:
        if not numbers:
            return {}
        async with self.redis.pipeline(transaction=False) as pipe:
            for number in numbers:
                pipe.xrevrange(self.keys.events(number), "+", "-", count=1)
            pages = await pipe.execute()
        return {
            number: page[0][0] if page else "0-0"
            for number, page in zip(numbers, pages, strict=True)
        }

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
        keys = [self.keys.event(number, event_id) for event_id in event_ids]
        changes = []
        for key, found in zip(keys, await self._stored(keys), strict=True):
            if found and any(needle in found[1] for needle in needles):
                new = rewrite(found[1])
                if new is not None:
                    changes.append((key, f"{found[0]} {new}"))
        if not changes:
            return 0
        # XX: not an event that left with the window meanwhile; KEEPTTL: it leaves with it.
        # An event of the old layout takes the new one: its old body is gone as well.
        async with self.redis.pipeline(transaction=False) as pipe:
            for key, stored in changes:
                pipe.set(key, stored, xx=True, keepttl=True)
            done = await pipe.execute()
        return sum(1 for one in done if one)

    async def _with_bodies(self, chosen: Sequence[tuple[Position, str]]) -> list[LoggedEvent]:
        """The events of the entries ``chosen``, with their bodies, in one round trip. An
        event past the window has no body left, though the trim of its log, which is
        approximate, may not have reached its entry yet: it is left out."""
        stored = await self._stored(
            [self.keys.event(at.number, event_id) for at, event_id in chosen]
        )
        return [
            LoggedEvent(at, event_id, found[1])
            for (at, event_id), found in zip(chosen, stored, strict=True)
            if found
        ]

    async def _stored(self, keys: Sequence[str]) -> list[tuple[str, str] | None]:
        """Each event's stream entry id and body, from the keys of either layout; None for
        an event that is not there."""
        if not keys:
            return []
        async with self.redis.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.get(key)
            found: list[Any] = await pipe.execute(raise_on_error=False)
        stored: list[tuple[str, str] | None] = []
        hashes = []
        for index, one in enumerate(found):
            if isinstance(one, ResponseError) and str(one).startswith("WRONGTYPE"):
                hashes.append(index)  # the old layout's
                stored.append(None)
            elif isinstance(one, Exception):
                raise one
            elif one is None:
                stored.append(None)
            else:
                entry_id, _, body = one.partition(" ")
                stored.append((entry_id, body))
        if hashes:
            async with self.redis.pipeline(transaction=False) as pipe:
                for index in hashes:
                    pipe.hmget(keys[index], "s", "b")
                for index, (entry_id, body) in zip(hashes, await pipe.execute(), strict=True):
                    if entry_id and body:
                        stored[index] = (entry_id, body)
        return stored
