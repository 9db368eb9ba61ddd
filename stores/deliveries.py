"""Per-service delivery queues: a stream of events, a retry schedule and a dead-letter list."""

from __future__ import annotations

import asyncio
import functools
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from redis.asyncio import Redis
from redis.exceptions import ResponseError

from stores.delivery_scripts import (
    DEAD_LETTER,
    KEEP,
    MOVE_DUE,
    REPLAY,
    RETRY,
    SCRUB_APPLY,
    SCRUB_FIND,
)
from stores.redis import Keys, Pipe, listen_channel, queue_publish
from stores.streams import GROUP, queue_forget_idle

log = logging.getLogger(__name__)

SCRUB_PASSES = 10
"""Looks at a queue an erasure takes, at most: each one after the first is for deliveries
that moved (a retry falling due, say) between the look and the rewrite."""
DEAD_LETTERS_KEPT = 100_000
"""A service's dead letters kept at most, the oldest dropped first: a service down for
days has every event dead-lettered (about 650 bytes each, 65 MB at most)."""

# On the stream a delivery is four fields, so the event is never escaped inside another
# JSON document on the hot path; in the retry set and the dead letters, where one string
# is needed, it is a small JSON object with the same keys.


@dataclass(frozen=True, slots=True)
class Delivery:
    """One event on its way to one service: the attempts so far and when the first was due."""

    entry_id: str
    event: str
    attempts: int
    first_at: float
    event_id: str = ""
    """Kept beside the event, so that a delivery need not parse the event to name it."""

    def encode(self, attempts: int | None = None) -> str:
        # The entry's id first: retries due at the same time sort by it in the retry set,
        # and go back on the stream in the order they were queued.
        return json.dumps(
            {
                "q": self.entry_id,
                "e": self.event,
                "a": self.attempts if attempts is None else attempts,
                "t": self.first_at,
                "i": self.event_id,
            }
        )

    @classmethod
    def decode(cls, entry_id: str, raw: str) -> Delivery:
        data = json.loads(raw)
        return cls(entry_id, data["e"], int(data["a"]), float(data["t"]), data.get("i", ""))

    @classmethod
    def from_fields(cls, entry_id: str, fields: dict[str, str]) -> Delivery:
        return cls(entry_id, fields["e"], int(fields["a"]), float(fields["t"]), fields["i"])


@dataclass(slots=True)
class Outcomes:
    """What became of one service's deliveries since they were last settled."""

    done: list[str] = field(default_factory=list)
    """The entry ids delivered."""
    retries: list[tuple[Delivery, float]] = field(default_factory=list)
    """Failed deliveries, each with when to try it again."""
    dead: list[Delivery] = field(default_factory=list)
    """Failed deliveries past the retry horizon."""

    def __bool__(self) -> bool:
        return bool(self.done or self.retries or self.dead)

    def entry_ids(self) -> list[str]:
        """The entries these outcomes settle."""
        return [
            *self.done,
            *(delivery.entry_id for delivery, _ in self.retries),
            *(delivery.entry_id for delivery in self.dead),
        ]

    def extend(self, other: Outcomes) -> None:
        self.done += other.done
        self.retries += other.retries
        self.dead += other.dead


@dataclass(frozen=True, slots=True)
class Taken:
    """What one round trip over many services' queues took: deliveries per service, and
    why any service's queue could not be used (that service alone is left out)."""

    deliveries: dict[str, list[Delivery]] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    also: list[Any] = field(default_factory=list)
    """The answers of the commands the caller had ride along (``exchange``'s ``also``)."""


@dataclass(frozen=True, slots=True)
class Due:
    """How many retries went back on a service's queue, and when its next one is due."""

    moved: int
    next_at: float | None


class BaseDeliveryQueue(Protocol):
    """A queue per service, with a retry schedule and dead letters. The operations of the
    delivery loop each cover many services in one round trip, so that what one process
    spends on Redis does not grow with the services attached."""

    def queue(
        self, pipe: Pipe, service: str, event_json: str, at: float, event_id: str = ""
    ) -> None:
        """Queue the event for ``service`` on a pipeline the caller executes."""

    async def add(self, deliveries: Sequence[tuple[str, str, str]], at: float) -> None:
        """Queue each (service, event JSON, event id), in one round trip."""

    def queue_announce(self, pipe: Pipe) -> None:
        """Announce to every process's couriers, on a pipeline the caller executes, that
        events were queued (by a process that delivers none)."""

    async def announce(self) -> None:
        """``queue_announce`` in a round trip of its own."""

    async def listen(self, heard: Callable[[], None], ready: asyncio.Event) -> None:
        """Call ``heard`` at every announcement (these, and changes of the services), until
        cancelled; ``ready`` is set once listening."""

    async def ensure_group(self, service: str) -> None:
        """Create the service's consumer group; harmless when it exists."""

    async def exchange(
        self,
        settled: Mapping[str, Outcomes],
        wants: Mapping[str, int],
        consumer: str,
        also: Sequence[Callable[[Pipe], None]] = (),
    ) -> Taken:
        """Settle each service's outcomes (drop what was delivered, schedule retries,
        dead-letter), then take up to ``wants[service]`` new deliveries of each service
        for ``consumer``, without waiting; in one round trip. Each of ``also`` queues one
        more command of the caller's on that round trip, after the reads; their answers
        are ``Taken.also``, when there was a round trip."""

    def queue_exchange(
        self,
        pipe: Pipe,
        settled: Mapping[str, Outcomes],
        wants: Mapping[str, int],
        consumer: str,
        also: Sequence[Callable[[Pipe], None]] = (),
    ) -> Callable[[list[Any]], Taken]:
        """``exchange``'s commands on a pipeline the caller sends, and how to read their
        answers (errors among them, not raised)."""

    async def reclaim(self, wants: Mapping[str, int], consumer: str, min_idle_ms: int) -> Taken:
        """Up to ``wants[service]`` deliveries of each service that a crashed process took
        and never finished, idle for ``min_idle_ms``; in one round trip."""

    async def keep(self, held: Mapping[str, Sequence[str]], consumer: str) -> None:
        """Keep the entries ``consumer`` is still delivering (``held``, by service) from a
        reclaim: their idle time starts again; in one round trip."""

    async def move_due(
        self, services: Sequence[str], now: float, limit: int = 500
    ) -> dict[str, Due]:
        """Put each service's due retries (up to ``limit``) back on its queue, in one
        round trip."""

    async def dead_letters(self, service: str, latest: int = 0) -> list[Delivery]:
        """The dead letters of ``service``, oldest first: every one, or the ``latest``."""

    async def drop_dead_letters(self, service: str) -> int:
        """Let go of every dead letter of ``service`` for good; how many there were."""

    async def drop_queued(self, service: str) -> int:
        """Let go of every delivery queued for ``service`` or waiting for a retry, for good
        (a service attached to no number: nothing would take them); how many there were.
        Its consumer group goes with its queue, and is made again if it is attached."""

    async def replay_dead_letters(self, service: str, now: float) -> int:
        """Put every dead letter of ``service`` back in its queue, with fresh attempts."""

    async def pending(self, service: str) -> int:
        """Deliveries queued or waiting for a retry."""

    async def depths(self, services: Sequence[str]) -> dict[str, tuple[int, int]]:
        """Each service's deliveries queued or waiting for a retry, and its dead letters;
        in one round trip."""

    async def scrub(
        self, service: str, needles: Sequence[str], rewrite: Callable[[str], str | None]
    ) -> int:
        """Rewrite every delivery of ``service`` whose event holds one of ``needles`` (on
        its queue, pending or not, in its retry set or its dead letters): ``rewrite`` gets
        the event JSON and gives the new one, or None to leave it. How many it rewrote."""


class DeliveryQueue(BaseDeliveryQueue):
    """Each service has its own queue, so a slow or dead one never holds back the others."""

    def __init__(self, redis: Redis, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys

    def queue(
        self, pipe: Pipe, service: str, event_json: str, at: float, event_id: str = ""
    ) -> None:
        """Queue the event for ``service`` on a pipeline the caller executes."""
        fields: dict[Any, Any] = {"e": event_json, "i": event_id, "a": 0, "t": at}
        pipe.xadd(self.keys.fanout(service), fields)

    async def add(self, deliveries: Sequence[tuple[str, str, str]], at: float) -> None:
        """Queue each (service, event JSON, event id), in one round trip."""
        if not deliveries:
            return
        async with self.redis.pipeline(transaction=False) as pipe:
            for service, event_json, event_id in deliveries:
                self.queue(pipe, service, event_json, at, event_id)
            await pipe.execute()

    def queue_announce(self, pipe: Pipe) -> None:
        queue_publish(pipe, self.keys.fanout_changed(), "queued")

    async def announce(self) -> None:
        await self.redis.publish(self.keys.fanout_changed(), "queued")

    async def listen(self, heard: Callable[[], None], ready: asyncio.Event) -> None:
        await listen_channel(self.redis, self.keys.fanout_changed(), heard, ready)

    async def ensure_group(self, service: str) -> None:
        try:
            await self.redis.xgroup_create(self.keys.fanout(service), GROUP, id="0", mkstream=True)
        except ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise

    async def exchange(
        self,
        settled: Mapping[str, Outcomes],
        wants: Mapping[str, int],
        consumer: str,
        also: Sequence[Callable[[Pipe], None]] = (),
    ) -> Taken:
        if not (settled or wants):
            return Taken()
        async with self.redis.pipeline(transaction=False) as pipe:
            take = self.queue_exchange(pipe, settled, wants, consumer, also)
            # One service's broken queue must not cost the others their turn.
            taken = take(await pipe.execute(raise_on_error=False))
        for service, why in taken.failed.items():
            if service in wants and "NOGROUP" in why:  # its stream was removed: read next turn
                await self.ensure_group(service)
        return taken

    def queue_exchange(
        self,
        pipe: Pipe,
        settled: Mapping[str, Outcomes],
        wants: Mapping[str, int],
        consumer: str,
        also: Sequence[Callable[[Pipe], None]] = (),
    ) -> Callable[[list[Any]], Taken]:
        """``exchange``'s commands queued on a pipeline the caller sends; the function
        returned reads their answers (errors among them, not raised) into what was taken.
        A queue whose group is gone (NOGROUP) is among the failed, its group not made."""
        owners: list[str] = []
        for service, outcomes in settled.items():
            owners += [service] * self._queue_settle(pipe, service, outcomes)
        for service, count in wants.items():
            # No BLOCK: a blocking read would hold a connection per service it waits on.
            key = self.keys.fanout(service)
            pipe.xreadgroup(GROUP, consumer, {key: ">"}, count=count)
        for queue in also:
            queue(pipe)
        return functools.partial(_taken, owners, list(wants), len(also))

    def _queue_settle(self, pipe: Pipe, service: str, outcomes: Outcomes) -> int:
        """Queue what settles ``outcomes``; how many commands that is."""
        key = self.keys.fanout(service)
        commands = 0
        if outcomes.done:
            pipe.xack(key, GROUP, *outcomes.done)
            pipe.xdel(key, *outcomes.done)
            commands += 2
        if outcomes.retries:
            retries: list[Any] = [GROUP]
            for delivery, at in outcomes.retries:
                retries += [delivery.entry_id, delivery.encode(delivery.attempts + 1), at]
            RETRY.queue(pipe, [key, self.keys.fanout(service, "retry")], retries)
            commands += 1
        if outcomes.dead:
            dead: list[Any] = [GROUP, DEAD_LETTERS_KEPT]
            for delivery in outcomes.dead:
                dead += [delivery.entry_id, delivery.encode(delivery.attempts + 1)]
            DEAD_LETTER.queue(pipe, [key, self.keys.fanout(service, "dead")], dead)
            commands += 1
        return commands

    async def keep(self, held: Mapping[str, Sequence[str]], consumer: str) -> None:
        held = {service: ids for service, ids in held.items() if ids}
        if not held:
            return
        async with self.redis.pipeline(transaction=False) as pipe:
            for service, ids in held.items():
                KEEP.queue(pipe, [self.keys.fanout(service)], [GROUP, consumer, *ids])
            await pipe.execute()

    async def reclaim(self, wants: Mapping[str, int], consumer: str, min_idle_ms: int) -> Taken:
        if not wants:
            return Taken()
        async with self.redis.pipeline(transaction=False) as pipe:
            for service, count in wants.items():
                pipe.xautoclaim(
                    self.keys.fanout(service),
                    GROUP,
                    consumer,
                    min_idle_time=min_idle_ms,
                    start_id="0-0",
                    count=count,
                )
            for service in wants:  # idle that long, a consumer's process is gone
                queue_forget_idle(pipe, self.keys.fanout(service), consumer, min_idle_ms)
            results = await pipe.execute(raise_on_error=False)
        taken = Taken()
        for service, reply in zip(wants, results[: len(wants)], strict=True):
            if isinstance(reply, Exception):
                taken.failed[service] = str(reply)
                continue
            # Entries deleted while pending come back without fields: nothing to deliver.
            found = [Delivery.from_fields(entry_id, f) for entry_id, f in reply[1] if f]
            if found:
                taken.deliveries[service] = found
        return taken

    async def move_due(
        self, services: Sequence[str], now: float, limit: int = 500
    ) -> dict[str, Due]:
        if not services:
            return {}
        async with self.redis.pipeline(transaction=False) as pipe:
            for service in services:
                keys = [self.keys.fanout(service), self.keys.fanout(service, "retry")]
                MOVE_DUE.queue(pipe, keys, [now, limit])
            results = await pipe.execute(raise_on_error=False)
        return {
            service: Due(int(reply[0]), float(reply[1]) if len(reply) > 1 else None)
            for service, reply in zip(services, results, strict=True)
            if not isinstance(reply, Exception)
        }

    async def dead_letters(self, service: str, latest: int = 0) -> list[Delivery]:
        start = -latest if latest > 0 else 0
        raw: Any = await self.redis.lrange(self.keys.fanout(service, "dead"), start, -1)
        return [Delivery.decode("", item) for item in raw]

    async def drop_dead_letters(self, service: str) -> int:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.llen(self.keys.fanout(service, "dead"))
            pipe.delete(self.keys.fanout(service, "dead"))
            count, _ = await pipe.execute()
        return int(count)

    async def drop_queued(self, service: str) -> int:
        queue, retries = self.keys.fanout(service), self.keys.fanout(service, "retry")
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.xlen(queue)
            pipe.zcard(retries)
            pipe.delete(queue, retries)
            queued, waiting, _ = await pipe.execute()
        return int(queued) + int(waiting)

    async def replay_dead_letters(self, service: str, now: float) -> int:
        """Put every dead letter of ``service`` back in its queue, with fresh attempts."""
        keys = [self.keys.fanout(service), self.keys.fanout(service, "dead")]
        replayed = int(await REPLAY(self.redis, keys, [now]))
        if replayed:
            await self.announce()
        return replayed

    async def pending(self, service: str) -> int:
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.xlen(self.keys.fanout(service))
            pipe.zcard(self.keys.fanout(service, "retry"))
            length, retries = await pipe.execute()
        return int(length) + int(retries)

    async def depths(self, services: Sequence[str]) -> dict[str, tuple[int, int]]:
        if not services:
            return {}
        async with self.redis.pipeline(transaction=False) as pipe:
            for service in services:
                pipe.xlen(self.keys.fanout(service))
                pipe.zcard(self.keys.fanout(service, "retry"))
                pipe.llen(self.keys.fanout(service, "dead"))
            counts = [int(count) for count in await pipe.execute()]
        return {
            service: (counts[3 * n] + counts[3 * n + 1], counts[3 * n + 2])
            for n, service in enumerate(services)
        }

    async def scrub(
        self, service: str, needles: Sequence[str], rewrite: Callable[[str], str | None]
    ) -> int:
        keys = [
            self.keys.fanout(service),
            self.keys.fanout(service, "retry"),
            self.keys.fanout(service, "dead"),
        ]
        rewritten = 0
        for _ in range(SCRUB_PASSES):
            found: Any = await SCRUB_FIND(self.redis, keys, list(needles))
            changes = [
                change for kind, *held in found if (change := _scrubbed(kind, held, rewrite))
            ]
            if not changes:
                return rewritten
            args = [arg for change in changes for arg in change]
            moved = int(await SCRUB_APPLY(self.redis, keys, args))
            rewritten += len(changes) - moved
            if not moved:
                return rewritten
        log.warning("deliveries of %s kept moving while an erasure rewrote them", service)
        return rewritten


def _taken(owners: list[str], wants: list[str], also: int, results: list[Any]) -> Taken:
    """``queue_exchange``'s answers read: ``owners`` name the service of each settling
    command, ``wants`` each read, and the ``also`` answers come last."""
    extra = results[len(results) - also :] if also else []
    results = results[: len(results) - also]
    if any(isinstance(answer, Exception) for answer in extra):
        extra = []  # the caller does without, as when there was no round trip
    failed = {
        service: str(result)
        for service, result in zip(owners, results, strict=False)
        if isinstance(result, Exception)
    }
    deliveries = {}
    for service, reply in zip(wants, results[len(owners) :], strict=True):
        if isinstance(reply, Exception):
            failed[service] = str(reply)
        elif reply:
            deliveries[service] = [
                Delivery.from_fields(entry_id, fields) for entry_id, fields in reply[0][1]
            ]
    return Taken(deliveries, failed, extra)


def _scrubbed(kind: str, held: list[str], rewrite: Callable[[str], str | None]) -> list[Any]:
    """The arguments of SCRUB_APPLY that rewrite one delivery SCRUB_FIND found; none when
    ``rewrite`` leaves its event as it is."""
    if kind == "s":
        entry_id, event, event_id, attempts, first_at = held
        new = rewrite(event)
        return [] if new is None else ["s", entry_id, new, event_id, attempts, first_at, GROUP]
    # A retry is found with its score, a dead letter with its index.
    item, where = held if kind == "r" else (held[1], held[0])
    delivery = Delivery.decode("", item)
    new = rewrite(delivery.event)
    if new is None:
        return []
    changed = Delivery("", new, delivery.attempts, delivery.first_at, delivery.event_id).encode()
    return ["r", item, changed, where] if kind == "r" else ["d", where, item, changed]
