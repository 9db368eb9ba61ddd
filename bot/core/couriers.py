"""The fan-out's deliveries: each service's queue goes out over signed webhooks (or to a
receiver in this process), masked per the service, retried with backoff, dead-lettered.

One reader per process looks at every service's queue in one round trip, without
blocking, and hands each delivery to a task of its own, at most ``concurrency`` in flight
per service. The events this process queues are read in the round trip that queues them
(``ride``), so the reader's own round trips are for what others queued, retries and
settling what finished when no queuing round trip came first. A slow or dead service
fills only its own share (REL-2), and the Redis connections of the fan-out do not grow
with the services attached: a blocking read per service held a pooled connection each,
and about 160 services took all of them.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import math
import operator
import random
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from adapters.webhooks import Refusal, WebhookClient, batch_body, too_large
from bot.config.settings import DeliverySettings
from bot.core.directory import Directory
from bot.core.metrics import Meters
from bot.core.redaction import render
from bot.core.retry import log_failure
from bot.logs import Quiet, bind
from bot.model import Service
from stores.deliveries import Delivery, DeliveryQueue, Outcomes, Taken
from stores.pipeline import Take, after_sent, ride
from stores.redis import Pipe

log = logging.getLogger(__name__)

ATTACHMENTS_POLL_SECONDS = 30.0
SWEEP_SECONDS = 30.0
"""How often the attachments of every number are read again and every queue is looked at,
should an announcement be lost (while Redis restarts). Events queued in this process are
looked for at once; a change of the services, events queued by a process that delivers
none (the command line) and a process that left (whose queued events nobody took) are
announced (``changed``)."""
FIRST_POLL_SECONDS = 0.002
HOT_SECONDS = 0.1
"""A service this process queued events for is looked at once they are in Redis, then
again after FIRST_POLL_SECONDS, twice as late each time, until they show (a read already
on its way when they landed missed them), for at most HOT_SECONDS."""
SETTLE_SECONDS = 0.05
SETTLE_COUNT = 64
"""A finished delivery is settled (acknowledged, or put on the retry schedule) with the
next read of the queues, which events queued meanwhile bring at once; without one, when
SETTLE_COUNT deliveries wait to be settled, or SETTLE_SECONDS after the first finished.
So below saturation a delivery's acknowledgement rides on a round trip made anyway. A
crash before then redelivers those events (at least once, with their ids)."""
RETRY_RESCAN_SECONDS = 15.0
"""How often a queue's retry schedule is looked at beyond the retries this process set
(whose times it knows): another process may have set some and died. Its deliveries in
flight wait as long (three times the delivery timeout, at least) to be taken over."""
BATCH_TAKE = 2000
"""At most this many events taken in one read for a service that takes them in batches."""


LocalReceiver = Callable[[bytes], Awaitable[str]]


class Deliveries:
    """Where a service's events go: its webhook, or for ``local:<name>`` a receiver in
    this process (the team chat)."""

    def __init__(self, webhooks: WebhookClient) -> None:
        self.webhooks = webhooks
        self.local: dict[str, LocalReceiver] = {}

    async def deliver(
        self, url: str, secret: str, event_id: str, body: bytes, batch: int | None = None
    ) -> str:
        """'' once delivered, else why not; failures are retried by the fan-out. ``batch``:
        how many events a batched body holds."""
        if url.startswith("local:"):
            receiver = self.local.get(url.removeprefix("local:"))
            return await receiver(body) if receiver else "no receiver in this process"
        return await self.webhooks.deliver(url, secret, event_id, body, batch)


def batch_size(service: Service) -> int:
    """Events per POST for a service that opted in to batches; 0 for one event, unwrapped (a
    receiver in this process takes one at a time)."""
    return 0 if service.url.startswith("local:") else service.batch


def backoff(attempts: int, settings: DeliverySettings) -> float:
    """Exponential backoff with jitter: half the step fixed, half random, capped."""
    step = min(settings.retry_cap, settings.retry_base * (2 ** min(attempts, 32)))
    return step / 2 + random.uniform(0, step / 2)


def retry_wait(attempts: int, problem: str, settings: DeliverySettings) -> float:
    """Seconds until the next attempt: the backoff, or longer if the service's answer asked
    for longer (``Retry-After``), up to the backoff's cap."""
    wait = backoff(attempts, settings)
    asked = problem.retry_after if isinstance(problem, Refusal) else None
    return wait if asked is None else max(wait, min(asked, settings.retry_cap))


RETRY_SLOTS = 16
"""A retry at least this many seconds away is due at the end of a slot of a sixteenth of
its wait, at most (a power of two of seconds): a dead service's retries, each with its own
jitter, then fall due a few at a time, each few moved, read and settled in one round trip,
instead of one every fraction of a second for ever. The jitter still spreads them over
the slots of half the wait."""


def due_at(now: float, wait: float) -> float:
    """When a retry ``wait`` seconds from ``now`` is due: at the end of its slot."""
    if wait < RETRY_SLOTS:
        return now + wait
    slot = 2.0 ** math.floor(math.log2(wait / RETRY_SLOTS))
    return math.ceil((now + wait) / slot) * slot


RECLAIM_AT_LEAST = 5.0
"""The shortest idle time after which a delivery another process took is taken back (it is
three times the delivery timeout otherwise)."""
FAILURES_SAID_EVERY = 10.0
"""Seconds between two lines about one service's failed deliveries (or dead letters): a
service that is down for a day has every queued event fail again and again."""


@dataclass(eq=False)
class _Line:
    """One service as this process delivers to it."""

    service: Service
    inflight: set[asyncio.Task[None]] = field(default_factory=set)
    delivering: dict[str, float] = field(default_factory=dict)
    """The entries of its deliveries in flight or not yet settled, with when each started
    (monotonic): a reclaim takes back what has waited longer than the reclaim's idle time,
    and one of them may still be on its way here (a team chat post waiting for the group's
    turn), or done and not yet acknowledged."""
    settled_late: set[str] = field(default_factory=set)
    """Entries settled since its last reclaim was sent after taking half its idle time or
    more: that reclaim, on its way as they were acknowledged, may bring them back."""
    outcomes: Outcomes = field(default_factory=Outcomes)
    """What became of its deliveries since the last round trip."""
    attached: bool = True
    """False once detached everywhere: its queue stays, nothing more goes out."""
    look: bool = True
    """Read it on the next turn: it is new, a delivery of it finished, or it had more."""
    hot_until: float = 0.0
    """Events were queued for it in this process: look again soon until then (monotonic)."""
    reading: int = 0
    """Deliveries a read on its way may take (its room when it was sent)."""
    next_due: float = 0.0
    """When to look at its retry schedule again (unix time)."""
    next_reclaim: float = 0.0
    delivered: tuple[Any, Any, Any] | None = None
    """Its metrics of deliveries (count, seconds, lag), labelled at its first: a ``labels``
    call costs a lock and a look-up on every delivery."""
    failed: tuple[Any, Any] | None = None
    """Its metrics of failed attempts (count, seconds), at its first."""
    failures_said: Quiet = field(default_factory=lambda: Quiet(FAILURES_SAID_EVERY))
    dead_said: Quiet = field(default_factory=lambda: Quiet(FAILURES_SAID_EVERY))


class Couriers:
    """Delivers every attached service's queue from one reader per process."""

    def __init__(
        self,
        queue: DeliveryQueue,
        client: Deliveries,
        settings: DeliverySettings,
        directory: Directory,
        consumer: str,
        meters: Meters,
    ) -> None:
        self.meters = meters
        self.queue = queue
        self.client = client
        self.settings = settings
        self.directory = directory
        self.consumer = consumer
        self._stopping = asyncio.Event()
        self._wake = asyncio.Event()
        self._lines: dict[str, _Line] = {}
        self._reclaim_every = max(settings.timeout * 3, RECLAIM_AT_LEAST)
        self._next_sweep = 0.0
        self._follow_now = False
        self._settle_timer: asyncio.TimerHandle | None = None
        """Wakes the loop to settle what finished, when no read did it first."""
        self._unsettled = 0
        self._read_at: dict[str, int] = {}
        """The definitions' counter at which each service's definition was read last."""
        self._known: set[str] = set()
        """Every service attached somewhere at the last read, delivered to or not."""
        self._running = False
        self._starting: set[asyncio.Task[None]] = set()
        """Deliveries a rider took, waiting for their services' definitions read afresh."""

    def services(self) -> list[str]:
        """The services whose queues this process delivers."""
        return [name for name, line in self._lines.items() if line.attached]

    def hint(self, services: Iterable[str]) -> None:
        """Events were queued for ``services`` in this process: look for them now."""
        hot_until = time.monotonic() + HOT_SECONDS
        for name in services:
            if line := self._lines.get(name):
                line.hot_until = hot_until
            elif name not in self._known:
                self._follow_now = True  # attached since the last read of the attachments
        self._wake.set()

    def ride(self, pipe: Pipe, services: Iterable[str]) -> None:
        """``pipe`` queues events for ``services``: read their queues at its end, in its
        round trip, and settle what finished on it too; once sent, what could not be read
        so (no room, a service not known yet, the couriers not running) is looked for as
        ``hint`` says."""
        services = frozenset(services)
        if not ride(pipe, functools.partial(self._ride, services)):
            after_sent(pipe, functools.partial(self.hint, services))

    def _ride(self, services: frozenset[str], pipe: Pipe) -> Take:
        wants, lines = {}, {}
        if self._running and not self._stopping.is_set():
            for name in services:
                line = self._lines.get(name)
                if line is not None and line.attached and (room := self._room(line)) > 0:
                    wants[name], lines[name] = room, line
                    line.reading += room
        if not wants:
            return lambda answers: self.hint(services)
        settled, settling = self._collect()
        also = [self.directory.store.queue_definitions_version]
        try:
            read = self.queue.queue_exchange(pipe, settled, wants, self.consumer, also)
        except Exception:  # nothing rides: left as it was, and looked for as after any
            self._let_go(wants, lines)
            self._unsettle(settled, settling)
            self.hint(services)
            raise
        return functools.partial(self._rode, services, wants, lines, settled, settling, read)

    def _let_go(self, wants: dict[str, int], lines: dict[str, _Line]) -> None:
        """The room a rider's read held, free again."""
        for name, room in wants.items():
            lines[name].reading -= room

    def _rode(
        self,
        services: frozenset[str],
        wants: dict[str, int],
        lines: dict[str, _Line],
        settled: dict[str, Outcomes],
        settling: dict[str, _Line],
        read: Callable[[list[Any]], Taken],
        answers: list[Any] | BaseException,
    ) -> None:
        self._let_go(wants, lines)
        if isinstance(answers, BaseException):  # nothing known to be taken or settled
            self._unsettle(settled, settling)
            self.hint(services)
            return
        taken = read(answers)
        self._settled(settled, settling)
        for name, why in taken.failed.items():
            log.warning("the delivery queue of %s could not be used: %s", name, why)
        for name, line in lines.items():
            found = len(taken.deliveries.get(name, ()))
            # All it had room for, or a read that failed (NOGROUP: the next turn makes the
            # group): look again. Else it is read past the events this round trip queued.
            line.look = found == wants[name] or name in taken.failed
            if not line.look:
                line.hot_until = 0.0
        version = self.directory.store.definitions_version(taken.also[0]) if taken.also else None
        if self._stale(taken.deliveries, version):
            task = asyncio.create_task(self._start(taken.deliveries, version))
            self._starting.add(task)
            task.add_done_callback(self._starting.discard)
        else:
            self._launch(taken.deliveries)
        if missed := services - wants.keys():
            self.hint(missed)
        elif any(line.look for line in lines.values()):
            self._wake.set()

    def changed(self) -> None:
        """Read the attachments again and look at every queue, now."""
        self._follow_now = True
        self._next_sweep = 0.0
        self._wake.set()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()

    async def run(self) -> None:
        """Deliver every attached service's queue, whichever process attached it, until
        stopped; then finish what is in flight (REL-6)."""
        self._running = True
        keeper = asyncio.create_task(self._keep_held())
        try:
            await self._deliver_until_stopped()
        finally:
            keeper.cancel()
            await asyncio.gather(keeper, return_exceptions=True)

    async def _deliver_until_stopped(self) -> None:
        next_follow = 0.0
        pause = FIRST_POLL_SECONDS
        while not self._stopping.is_set():
            self._wake.clear()
            try:
                if self._follow_now or time.monotonic() >= next_follow:
                    next_follow = time.monotonic() + ATTACHMENTS_POLL_SECONDS
                    self._follow_now = False
                    await self._follow_attachments()
                if await self._turn():
                    continue  # some queue has more right now
            except Exception:
                log_failure(log, "fan-out failed; trying again")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), 1.0)
                continue
            now = time.monotonic()
            hot = any(line.hot_until > now for line in self._lines.values())
            wait = min(pause if hot else self._next_sweep - now, self._until_due())
            woken = await self._wait(wait)
            pause = FIRST_POLL_SECONDS if woken or not hot else pause * 2
        self._running = False
        await self._drain()

    async def _keep_held(self) -> None:
        """Keep the deliveries this process has been making for a while (a team chat post
        waiting for the group's turn, a slow service) from other processes' reclaims, which
        take back what has waited for the reclaim's idle time: they would make them too."""
        every = self._reclaim_every / 3
        while True:
            await asyncio.sleep(every)
            since = time.monotonic() - every
            held = {
                name: [entry for entry, started in line.delivering.items() if started <= since]
                for name, line in self._lines.items()
            }
            try:
                await self.queue.keep(held, self.consumer)
            except Exception:  # the next reclaim may take some back: they go twice, not never
                log_failure(log, "deliveries in flight not kept from other processes' reclaims")

    async def _wait(self, seconds: float) -> bool:
        """Wait up to ``seconds`` for a wake (events queued here, a delivery finished)."""
        if seconds <= 0:
            return False
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)
            return True
        return False

    def _until_due(self) -> float:
        """Seconds until some retry schedule is to be looked at again, or some queue is due
        a reclaim (one with no room takes it when a delivery of it finishes)."""
        attached = [line for line in self._lines.values() if line.attached]
        times = [line.next_due for line in attached]
        times += [line.next_reclaim for line in attached if self._room(line) > 0]
        return max(0.0, min(times) - time.time()) if times else SWEEP_SECONDS

    async def _follow_attachments(self) -> None:
        wanted: dict[str, Service] = {}
        numbers = await self.directory.store.numbers()
        await self.directory.catch_up(numbers)
        known = set()
        for number in numbers:
            for service in self.directory.cached(number):
                known.add(service.name)
                if service.url:
                    wanted[service.name] = service
        self._known = known
        for name, service in wanted.items():
            line = self._lines.get(name)
            if line is None or not line.attached:
                await self.queue.ensure_group(name)
            if line is None:
                self._lines[name] = _Line(service)
            elif not line.attached:
                line.service, line.attached, line.look = service, True, True
            else:
                line.service = service
        for name, line in list(self._lines.items()):
            if name not in wanted:
                line.attached = False  # detached everywhere: its queue stays, nothing more goes out
                if not (line.inflight or line.outcomes or line.reading):
                    del self._lines[name]

    async def _turn(self) -> bool:
        """One round over the queues: move due retries back, settle what finished, take
        what each service has room for and start delivering it. True when some queue has
        more right now."""
        now, clock = time.time(), time.monotonic()
        sweep = clock >= self._next_sweep
        if sweep:
            self._next_sweep = clock + SWEEP_SECONDS
        await self._move_due(now)
        rooms = {}
        for name, line in self._lines.items():
            # Due a reclaim: deliveries a dead process left go once idle for its time.
            looking = line.look or line.hot_until > clock or line.next_reclaim <= now
            if line.attached and (sweep or looking):
                if (room := self._room(line)) > 0:
                    rooms[name] = room
        reclaiming = {n: room for n, room in rooms.items() if self._lines[n].next_reclaim <= now}
        for name in reclaiming:  # acknowledged before this reclaim: it cannot bring them back
            self._lines[name].settled_late.clear()
        reclaimed = await self.queue.reclaim(
            reclaiming, self.consumer, int(self._reclaim_every * 1000)
        )
        wants = {name: room for name, room in rooms.items() if name not in reclaiming}
        settled, settling = self._collect()
        reading = [(self._lines[name], room) for name, room in wants.items()]
        for line, room in reading:
            line.reading += room
        try:
            # The definitions' counter rides along: they are read again only when it moved.
            also = [self.directory.store.queue_definitions_version] if wants else []
            taken = await self.queue.exchange(settled, wants, self.consumer, also)
        except Exception:
            self._unsettle(settled, settling)  # settled next time
            raise
        finally:
            for line, room in reading:
                line.reading -= room
        self._settled(settled, settling)
        for name, why in (reclaimed.failed | taken.failed).items():
            log.warning("the delivery queue of %s could not be used: %s", name, why)
        for name, room in reclaiming.items():
            # A full batch means a dead process left more: take the rest at once.
            full = len(reclaimed.deliveries.get(name, ())) == room
            self._lines[name].next_reclaim = now if full else now + self._reclaim_every
            self._lines[name].look = True  # not read this turn
        for name, room in wants.items():
            line, found = self._lines[name], len(taken.deliveries.get(name, ()))
            line.look = found == room  # all it had room for: it may have more
            if found:
                line.hot_until = 0.0
        version = self.directory.store.definitions_version(taken.also[0]) if taken.also else None
        await self._start(taken.deliveries, version)
        await self._start(self._not_delivering(reclaimed.deliveries))
        return any(self._lines[name].look for name in rooms)

    def _not_delivering(self, batches: dict[str, list[Delivery]]) -> dict[str, list[Delivery]]:
        """What a reclaim took back, but what this process is delivering still, or settled
        as the reclaim was on its way."""
        kept = {}
        for name, deliveries in batches.items():
            line = self._lines[name]
            mine = line.delivering.keys() | line.settled_late
            if left := [d for d in deliveries if d.entry_id not in mine]:
                kept[name] = left
        return kept

    def _room(self, line: _Line) -> int:
        """Deliveries ``line`` may take now: the POSTs it has room for (each a batch, for a
        service that takes batches), less what a read on its way may take."""
        posts = self.settings.concurrency - len(line.inflight)
        if posts <= 0:
            return 0
        size = batch_size(line.service)
        room = max(size, min(posts * size, BATCH_TAKE)) if size else posts
        return room - line.reading

    def _collect(self) -> tuple[dict[str, Outcomes], dict[str, _Line]]:
        """What finished, to settle on the next round trip: each service's outcomes, and
        its line."""
        settled, settling = {}, {}
        for name, line in self._lines.items():
            if line.outcomes:
                settled[name], line.outcomes = line.outcomes, Outcomes()
                settling[name] = line
        self._unsettled = 0
        if self._settle_timer is not None:
            self._settle_timer.cancel()
            self._settle_timer = None
        return settled, settling

    def _unsettle(self, settled: dict[str, Outcomes], settling: dict[str, _Line]) -> None:
        """Outcomes whose round trip failed, settled on the next one."""
        for name, outcomes in settled.items():
            line = settling[name]
            outcomes.extend(line.outcomes)
            line.outcomes = outcomes

    def _settled(self, settled: dict[str, Outcomes], settling: dict[str, _Line]) -> None:
        clock = time.monotonic()
        for name, outcomes in settled.items():
            # Settled, their entries are no more this process's to deliver; a reclaim on
            # its way as they were acknowledged may bring back one that took long.
            line, late = settling[name], clock - self._reclaim_every / 2
            for entry_id in outcomes.entry_ids():
                started = line.delivering.pop(entry_id, None)
                if started is not None and started <= late:
                    line.settled_late.add(entry_id)
            # A look at the schedule before these retries were on it (or while they
            # failed) may have put the next look off to the rescan: they are due when due.
            for _, retry_at in outcomes.retries:
                settling[name].next_due = min(settling[name].next_due, retry_at)

    async def _move_due(self, now: float) -> None:
        due = [name for name, line in self._lines.items() if line.attached and line.next_due <= now]
        if not due:
            return
        moved = await self.queue.move_due(due, now)
        rescan = now + RETRY_RESCAN_SECONDS
        for name in due:
            line, found = self._lines[name], moved.get(name)
            next_at = found.next_at if found and found.next_at is not None else rescan
            line.next_due = min(next_at, rescan)
            if found and found.moved:
                line.look = True

    async def _start(self, batches: dict[str, list[Delivery]], version: int | None = None) -> None:
        """Deliver what was taken. ``version``: the definitions' counter read in the round
        trip that took it, when it was."""
        if not batches:
            return
        fresh: dict[str, Service] = {}
        if self._stale(batches, version):
            try:
                fresh = await self.directory.store.get_many(list(batches))
                if version is not None:
                    self._read_at.update(dict.fromkeys(batches, version))
            except Exception:  # what was taken goes out as last known, never stranded
                log.exception("could not read the services' definitions afresh")
        self._launch(batches, fresh)

    def _stale(self, batches: dict[str, list[Delivery]], version: int | None) -> bool:
        """Whether the definitions of the services of ``batches`` are to be read afresh:
        for every batch taken after a definition changed, so that a change of masking
        applies to the next one. The counter moves after the write (ServiceStore.save)."""
        if not batches:
            return False
        return version is None or any(self._read_at.get(name) != version for name in batches)

    def _launch(
        self, batches: dict[str, list[Delivery]], fresh: dict[str, Service] | None = None
    ) -> None:
        """A task for each delivery (each batch, for a service that takes batches)."""
        clock = time.monotonic()
        for name, deliveries in batches.items():
            line = self._lines[name]
            line.service = (fresh or {}).get(name, line.service)
            size = batch_size(line.service) or 1
            if size > 1:  # retries come back as they fell due: a batch goes in queued order
                deliveries = sorted(deliveries, key=operator.attrgetter("first_at"))
            for at in range(0, len(deliveries), size):
                chunk = deliveries[at : at + size]
                task = asyncio.create_task(self._attempt(line, line.service, chunk))
                line.inflight.add(task)
                line.delivering.update(dict.fromkeys((d.entry_id for d in chunk), clock))
                task.add_done_callback(functools.partial(self._finished, line))

    def _finished(self, line: _Line, task: asyncio.Task[None]) -> None:
        line.inflight.discard(task)
        line.look = True
        self._unsettled += 1
        # Room it had none of, or many to settle: at once. Else with the next read.
        if len(line.inflight) + 1 >= self.settings.concurrency or self._unsettled >= SETTLE_COUNT:
            self._wake.set()
        elif self._settle_timer is None:
            self._settle_timer = asyncio.get_running_loop().call_later(
                SETTLE_SECONDS, self._wake.set
            )

    async def _drain(self) -> None:
        """Let what is in flight finish, and settle it."""
        if self._starting:
            await asyncio.wait(list(self._starting), timeout=self.settings.timeout)
        inflight = [task for line in self._lines.values() for task in line.inflight]
        if inflight:
            await asyncio.wait(inflight, timeout=self.settings.timeout)
        settled = {name: line.outcomes for name, line in self._lines.items() if line.outcomes}
        try:
            await self.queue.exchange(settled, {}, self.consumer)
        except Exception:
            log.exception("could not settle the last deliveries; they will be redone")

    async def _attempt(self, line: _Line, service: Service, deliveries: list[Delivery]) -> None:
        """Deliver one event, or for a service that opted in a batch of them in one POST:
        its answer settles them all, and each failed one keeps its own retry schedule; a
        413 sends the batch again at once, in halves."""
        first = deliveries[0]
        bind(service=service.name, event_id=first.event_id)  # a task of its own
        started = time.perf_counter()
        try:
            event_id = first.event_id or json.loads(first.event)["id"]
            if batch_size(service):
                body = batch_body([render(service, delivery.event) for delivery in deliveries])
                problem = await self.client.deliver(
                    service.url, service.secret, event_id, body, len(deliveries)
                )
            else:
                body = render(service, first.event)
                problem = await self.client.deliver(service.url, service.secret, event_id, body)
        except Exception as error:  # an event or a receiver gone wrong: retried like the rest
            log.exception("delivering %s to %s failed", first.entry_id, service.name)
            problem = type(error).__name__
        if too_large(problem) and len(deliveries) > 1:
            # Over the service's body limit, which each half may fit: at once, in order.
            half = len(deliveries) // 2
            await self._attempt(line, service, deliveries[:half])
            await self._attempt(line, service, deliveries[half:])
            return
        seconds = time.perf_counter() - started
        now = time.time()
        # A batch that failed together is retried together, in its order: one time for all.
        attempts = max(delivery.attempts for delivery in deliveries)
        retry_at = due_at(now, retry_wait(attempts, problem, self.settings)) if problem else 0.0
        for delivery in deliveries:
            self._settle(line, delivery, problem, seconds, now, retry_at)

    def _settle(
        self,
        line: _Line,
        delivery: Delivery,
        problem: str,
        seconds: float,
        now: float,
        retry_at: float,
    ) -> None:
        meters, name = self.meters, line.service.name
        event_id = delivery.event_id or delivery.entry_id
        if not problem:
            if line.delivered is None:
                line.delivered = (
                    meters.fanout_delivered.labels(name),
                    meters.fanout_attempt_seconds.labels(name, "delivered"),
                    meters.fanout_lag_seconds.labels(name),
                )
            delivered, took, lag = line.delivered
            delivered.inc()
            took.observe(seconds)
            lag.observe(max(0.0, now - delivery.first_at))
            line.outcomes.done.append(delivery.entry_id)
            return
        if line.failed is None:
            line.failed = (
                meters.fanout_failed_attempts.labels(name),
                meters.fanout_attempt_seconds.labels(name, "failed"),
            )
        failed, took = line.failed
        failed.inc()
        took.observe(seconds)
        if retry_at - delivery.first_at > self.settings.retry_horizon:
            if (more := line.dead_said.due(now)) is not None:
                log.warning(
                    "event %s to %s dead-lettered after %d attempts: %s%s",
                    event_id,
                    name,
                    delivery.attempts + 1,
                    problem,
                    more,
                )
            line.outcomes.dead.append(delivery)
            meters.fanout_dead_lettered.labels(name).inc()
        else:
            if (more := line.failures_said.due(now)) is not None:
                log.warning(
                    "event %s to %s failed (%s); retry in %.1fs%s",
                    event_id,
                    name,
                    problem,
                    retry_at - now,
                    more,
                )
            line.outcomes.retries.append((delivery, retry_at))
            line.next_due = min(line.next_due, retry_at)
