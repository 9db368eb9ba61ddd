"""The shard workers of one process: a fair share of the inbound and outbox shards, each
held under a lease so that a conversation has ONE worker, redone from the pending list
after a crash (REL-1). An entry that keeps failing is set aside after a bounded number
of attempts, so that one bad message never stops its shard. The inbound shards a process
holds share one reader (``SharedReader``); each outbox shard has a consumer of its own."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import zlib
from collections.abc import Awaitable, Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.core.metrics import Meters
from bot.logs import bind
from stores.leases import Leases
from stores.redis import is_store_fault
from stores.streams import Entry, ShardedStream

log = logging.getLogger(__name__)

LEASE_TTL_MS = 5000
LEASE_RENEW_SECONDS = 1.5
"""Each round renews every lease the process holds, and its heartbeat, in one command."""
BATCH = 200
"""The most entries one read takes of each shard."""
READ_BLOCK_MS = 25_000
"""How long a read waits for new entries. A blocking read wakes at once on a new entry,
so this bounds only the idle cost (one command per read per wait); a change of the shards
held, or a stop, interrupts it. Below the connections' 30 s health check, which would add a PING."""
ENTRY_ATTEMPTS = 5
"""Attempts at an entry that fails, about a second apart, before it goes to its shard's
dead letters (``admin dead-letters --inbound`` or ``--outbox``). A failure of the store
itself (Redis unreachable, out of memory...) is no attempt: an outage sets nothing aside."""
REDO_SECONDS = 1.0
ERROR_CHARS = 500
"""How much of an error a dead letter keeps."""


class EntryFailedError(Exception):
    """An entry failed and has attempts left: it and the entries after it wait for the
    next redo, so that each conversation keeps its order."""


Work = Callable[[list[Entry]], Awaitable[None]]


class Rider(Protocol):
    """A lease of another part that the supervisor's round keeps along with the shards'
    (the scheduler's), so that holding it costs no command of its own."""

    def lease_in_hand(self) -> str | None:
        """The lease to keep this round; None while it is not held."""

    def lease_kept(self, held: bool) -> None:
        """Whether the round kept it."""


class ShardWorkers:
    """Holds leases on a fair share of the shards and reads each stream of every shard it
    holds, with the other shards (``read_together``) or apart; hands shards over when
    other processes join."""

    def __init__(
        self,
        streams: Sequence[tuple[ShardedStream, Work]],
        leases: Leases,
        holder: str,
        shards: int,
        meters: Meters,
        departed: Callable[[], None] = lambda: None,
        riders: Sequence[Rider] = (),
        read_together: Collection[str] = (),
    ) -> None:
        """``read_together``: the kinds of stream whose shards share one reader
        (``SharedReader``); each shard of the others has a consumer of its own."""
        self.streams = streams
        self.riders = riders
        self.departed = departed
        """Told when fewer processes are alive than at the round before: what one that
        died had queued and not taken is for the others now."""
        self.leases = leases
        self.holder = holder
        self.shards = shards
        self.dead_lettered = {
            "inbound": meters.inbound_dead_lettered,
            "outbox": meters.outbox_dead_lettered,
        }
        """Counts the entries set aside, by stream kind."""
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._handovers: dict[int, asyncio.Event] = {}
        self._stopping = asyncio.Event()
        self._readers = {
            stream.kind: SharedReader(self, stream, work)
            for stream, work in streams
            if stream.kind in read_together and stream.reads_together
        }
        """The streams whose shards are read together, by kind; on a Redis Cluster none:
        each shard's read is its own there."""

    @property
    def tasks(self) -> list[asyncio.Task[None]]:
        return list(self._tasks.values())

    async def supervise(self, stopping: asyncio.Event) -> None:
        """Hold leases on a fair share of the shards until ``stopping`` is set.

        Live processes announce themselves; each takes at most its share of the shards,
        and hands over what is beyond it (after the batch in hand) when others join.
        """
        self._stopping = stopping
        start = zlib.crc32(self.holder.encode()) % self.shards  # spread the first picks
        order = [(start + offset) % self.shards for offset in range(self.shards)]
        was_alive = 0
        while not stopping.is_set():
            held = list(self._tasks)
            riding = [(rider, name) for rider in self.riders if (name := rider.lease_in_hand())]
            names = [f"shard:{shard}" for shard in held] + [name for _, name in riding]
            try:
                alive, kept = await self.leases.keep("shards", names, LEASE_TTL_MS)
                renewed = {shard for shard, still in zip(held, kept, strict=False) if still}
                for (rider, _), still in zip(riding, kept[len(held) :], strict=True):
                    rider.lease_kept(still)
            except Exception:
                log.exception("could not announce this process to the others")
                alive, renewed = 1, set()
            if alive < was_alive:
                self.departed()
            was_alive = alive
            share = -(-self.shards // max(alive, 1))
            for shard in order:
                await self._keep_or_take(shard, share, shard in renewed)
            self._hand_over_beyond(order, share, alive)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), LEASE_RENEW_SECONDS)
        for handover in self._handovers.values():
            handover.set()  # the reads waiting for new entries end; batches in hand finish
        with contextlib.suppress(Exception):
            await self.leases.leave("shards")

    def _hand_over_beyond(self, order: list[int], share: int, alive: int) -> None:
        active = [s for s in order if s in self._tasks and not self._handovers[s].is_set()]
        for shard in active[share:]:
            log.info(
                "handing shard %d over: %d processes share %d shards", shard, alive, self.shards
            )
            self._handovers[shard].set()

    async def release_all(self) -> None:
        """Let go of every shard lease, once the workers are done."""
        for shard in list(self._tasks):
            await self.leases.release(f"shard:{shard}")

    async def _keep_or_take(self, shard: int, share: int, renewed: bool) -> None:
        """``renewed``: the round's ``keep`` kept this shard's lease, nothing more to do
        unless it was handed over."""
        task = self._tasks.get(shard)
        name = f"shard:{shard}"
        if task is not None and task.done() and self._handovers[shard].is_set():
            await self.leases.release(name)  # handed over: the batch in hand is done
            del self._tasks[shard], self._handovers[shard]
            return
        if task is None and len(self._tasks) >= share:
            return
        if renewed and task is not None and not task.done():
            return
        try:
            token = await self.leases.acquire(name, LEASE_TTL_MS)
        except Exception:
            log.exception("could not renew the lease of shard %d", shard)
            token = None
        if token is not None and (task is None or task.done()):
            self._handovers[shard] = asyncio.Event()
            self._tasks[shard] = asyncio.create_task(self._work_shard(shard))
        elif token is None and task is not None:
            task.cancel()  # the lease is lost: another process works this shard now
            del self._tasks[shard], self._handovers[shard]

    async def _work_shard(self, shard: int) -> None:
        # A TaskGroup, so that one consumer failing cancels its sibling: a shard never has
        # a worker nobody watches while the supervisor starts a new one.
        handover = self._handovers[shard]
        async with asyncio.TaskGroup() as group:
            for stream, work in self.streams:
                reader = self._readers.get(stream.kind)
                if reader is not None:
                    group.create_task(reader.hold(shard, handover))
                else:
                    group.create_task(self._consume(stream, shard, work, handover))

    async def _consume(
        self, stream: ShardedStream, shard: int, work: Work, handover: asyncio.Event
    ) -> None:
        """Redo what a dead holder left pending, then read new entries until stopped.

        After a failure what is not acknowledged is taken back and redone a second later;
        an entry that keeps failing is set aside after ``ENTRY_ATTEMPTS``.
        """
        bind(shard=shard, stream=stream.kind)  # this task's lines name its shard
        recovering = True
        # The batch worked last, to acknowledge with the next read in one round trip.
        done: list[str] = []
        done_retried = False
        while True:
            try:
                if recovering:
                    await stream.ack(shard, done, retried=done_retried)
                    done = []
                    batch: list[Entry] = await stream.claim_pending(shard, self.holder)
                else:
                    batch, acked = await self._read(stream, shard, handover, done, done_retried)
                    if acked:
                        done = []
                retried, recovering = recovering, False
                worked = await self._work(stream, shard, work, batch, retried=retried)
                # Ids left from a read that was cut short keep their own kind along.
                done_retried = retried or (bool(done) and done_retried)
                done = worked + done
            except EntryFailedError as error:
                log.warning("shard %d: %s; it is redone", shard, error)
                recovering = True
                await asyncio.sleep(REDO_SECONDS)
            except Exception:
                log.exception("shard %d: a batch failed; it will be redone", shard)
                recovering = True
                await asyncio.sleep(REDO_SECONDS)
            if self._stopping.is_set() or handover.is_set():
                with contextlib.suppress(Exception):  # else redone by the next holder
                    await stream.ack(shard, done, retried=done_retried)
                return

    async def _read(
        self,
        stream: ShardedStream,
        shard: int,
        handover: asyncio.Event,
        done: list[str],
        retried: bool,
    ) -> tuple[list[Entry], bool]:
        """New entries of ``shard``, as soon as there are some; none once handed over.
        The entries ``done`` are acknowledged in the same round trip, before the read
        waits; the second answer says whether that round trip was made.

        Entries a read interrupted here may have taken stay pending: whoever works the
        shard next redoes them, as after a crash."""
        if handover.is_set():
            return [], False
        reading = asyncio.ensure_future(
            stream.ack_and_read(shard, done, self.holder, BATCH, READ_BLOCK_MS, retried=retried)
        )
        quitting = asyncio.ensure_future(handover.wait())
        try:
            await asyncio.wait((reading, quitting), return_when=asyncio.FIRST_COMPLETED)
        finally:
            quitting.cancel()
            if not reading.done():
                reading.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await reading
        if reading.cancelled():
            return [], False
        return reading.result(), True

    async def _work(
        self, stream: ShardedStream, shard: int, work: Work, batch: list[Entry], *, retried: bool
    ) -> list[str]:
        """Work a batch and acknowledge it. When it fails for any reason but the store's,
        the entry that fails is found by redoing the batch one entry at a time.

        Returns the ids of a batch that succeeded whole: the caller acknowledges them
        with its next read."""
        if not batch:
            return []
        try:
            await work(batch)
        except Exception as error:
            if is_store_fault(error):
                raise
            if len(batch) == 1:
                await self._failed(stream, shard, batch[0], error)
                return []
            log.warning(
                "shard %d: a batch of %d failed (%s: %s); its entries are redone one by one",
                shard,
                len(batch),
                type(error).__name__,
                error,
            )
            await self._one_by_one(stream, shard, work, batch)
            return []
        return [entry.id for entry in batch]

    async def _one_by_one(
        self, stream: ShardedStream, shard: int, work: Work, batch: list[Entry]
    ) -> None:
        """Work each entry alone, in order, acknowledging each that succeeds; stops at
        one that fails with attempts left (EntryFailedError)."""
        for entry in batch:
            try:
                await work([entry])
            except Exception as error:
                if is_store_fault(error):
                    raise
                await self._failed(stream, shard, entry, error)
                continue
            await stream.ack(shard, [entry.id], retried=True)

    async def _failed(
        self, stream: ShardedStream, shard: int, entry: Entry, error: Exception
    ) -> None:
        """Count a failed attempt at ``entry``. At the last it goes to the shard's dead
        letters with its error, and the shard goes on; else EntryFailedError."""
        described = f"{type(error).__name__}: {error}"[:ERROR_CHARS]
        attempts = await stream.fail(shard, entry, described, time.time(), ENTRY_ATTEMPTS)
        if attempts < ENTRY_ATTEMPTS:
            raise EntryFailedError(
                f"{stream.kind} entry {entry.id} failed, attempt {attempts} of "
                f"{ENTRY_ATTEMPTS} ({described})"
            ) from error
        log.error(
            "shard %d: %s entry %s failed %d times; it is a dead letter now",
            shard,
            stream.kind,
            entry.id,
            attempts,
            exc_info=error,
        )
        self.dead_lettered[stream.kind].inc()


@dataclass(eq=False)
class _Held:
    """A shard in a shared reader's set."""

    shard: int
    handover: asyncio.Event
    released: asyncio.Future[None]
    """Done once the reader let go of the shard, its last batch acknowledged."""
    done: list[str] = field(default_factory=list)
    """The ids of its batch worked last, acknowledged with the next read."""
    retried: bool = False
    """Whether those may have failed before (their count of attempts goes with them)."""
    redo_at: float | None = 0.0
    """None while it is read with the others; else when its pending entries are redone
    (claim_pending): at once when taken, a second after a failure."""
    reading: asyncio.Future[Any] | None = None
    """The read in flight that takes its new entries, if any."""


class SharedReader:
    """The reader of one stream for every shard the process holds: ONE blocking read takes
    the new entries of them all and acknowledges each one's batch done in the same round
    trip, and the whole batch is worked at once, so that the work's round trips are shared
    by the messages of every shard.

    Each shard keeps its order (its entries are worked in log order, and a conversation
    is in one shard), its redo after a failure, its dead letters and its handover; a shard
    being redone is left out of the reads meanwhile, and the others go on.
    """

    def __init__(self, workers: ShardWorkers, stream: ShardedStream, work: Work) -> None:
        self.workers = workers
        self.stream = stream
        self.work = work
        self._held: dict[int, _Held] = {}
        self._changed = asyncio.Event()
        """Set when the set of shards changes: the reader wakes, to read the new set."""
        self._task: asyncio.Task[None] | None = None
        self._reads: dict[asyncio.Future[list[tuple[int, list[Entry]]]], list[_Held]] = {}
        """The reads in flight, and the shards each one reads."""

    async def hold(self, shard: int, handover: asyncio.Event) -> None:
        """Read ``shard`` with the others until it is handed over, then return once its
        last batch is acknowledged. Cancelled (its lease was lost), it leaves the set at
        once, with nothing more acknowledged: the next holder redoes what is pending."""
        held = _Held(shard, handover, asyncio.get_running_loop().create_future())
        self._held[shard] = held
        self._changed.set()
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run())
        quitting = asyncio.ensure_future(handover.wait())
        try:
            await asyncio.wait((held.released, quitting), return_when=asyncio.FIRST_COMPLETED)
            if not held.released.done():
                self._changed.set()  # handed over: the reader lets go of it at once
            await held.released
        finally:
            quitting.cancel()
            if self._held.get(shard) is held:  # cancelled: the lease is lost
                del self._held[shard]
                self._changed.set()
                if not self._held and self._task is not None:
                    self._task.cancel()  # it works only shards no longer held

    async def _run(self) -> None:
        bind(stream=self.stream.kind)  # this task's lines name its stream
        try:
            while self._held:
                self._changed.clear()
                await self._let_go()
                await self._redo_due()
                if not self._changed.is_set():
                    if self._reads and self._idle():
                        # Shards taken or back from a redo: the read waiting on the others
                        # ends, and the next one reads them all.
                        for read in list(self._reads):
                            await self._interrupt(read)
                        continue
                    self._start_read()
                    await self._work_batch(await self._next_batch())
        except BaseException as error:
            for held in self._held.values():  # their tasks end; the supervisor starts anew
                if not held.released.done():
                    if isinstance(error, Exception):
                        held.released.set_exception(error)
                    else:
                        held.released.cancel()
            raise
        finally:
            for read in list(self._reads):
                await self._interrupt(read)

    async def _let_go(self) -> None:
        """Stop reading the shards no longer held; acknowledge the last batch of each shard
        handed over, then release it."""
        stopping = self.workers._stopping.is_set()
        for read, reading in list(self._reads.items()):
            if any(
                stopping or held.handover.is_set() or self._held.get(held.shard) is not held
                for held in reading
            ):
                await self._interrupt(read)
        for held in list(self._held.values()):
            if stopping or held.handover.is_set():
                with contextlib.suppress(Exception):  # else redone by the next holder
                    await self.stream.ack(held.shard, held.done, retried=held.retried)
                if self._held.get(held.shard) is held:
                    del self._held[held.shard]
                if not held.released.done():
                    held.released.set_result(None)

    async def _interrupt(self, read: asyncio.Future[Any]) -> None:
        """End a read before its answer is used. Entries it may have taken stay pending:
        each of its shards still held redoes them at once (after acknowledging its batch
        done, which the read may or may not have); one handed over leaves them to the next
        holder, as after a crash."""
        reading = self._reads.pop(read)
        read.cancel()
        with contextlib.suppress(BaseException):
            await read
        for held in reading:
            held.reading = None
            held.redo_at = time.monotonic()

    async def _redo_due(self) -> None:
        """Each shard due for a redo acknowledges what it had done, then redoes what it
        has pending (what a dead holder left, or a failure), then goes back to the reads."""
        for held in list(self._held.values()):
            if held.redo_at is None or held.redo_at > time.monotonic():
                continue
            if self._held.get(held.shard) is not held or held.handover.is_set():
                continue
            with self._failing(held):
                await self.stream.ack(held.shard, held.done, retried=held.retried)
                held.done = []
                batch = await self.stream.claim_pending(held.shard, self.workers.holder)
                worked = await self.workers._work(
                    self.stream, held.shard, self.work, batch, retried=True
                )
                held.done, held.retried, held.redo_at = worked, True, None

    @contextlib.contextmanager
    def _failing(self, held: _Held) -> Iterator[None]:
        """A failure in the block makes ``held``'s shard redo its pending entries a
        second later; the other shards go on."""
        try:
            yield
        except EntryFailedError as error:
            log.warning("shard %d: %s; it is redone", held.shard, error)
            held.redo_at = time.monotonic() + REDO_SECONDS
        except Exception:
            log.exception("shard %d: a batch failed; it will be redone", held.shard)
            held.redo_at = time.monotonic() + REDO_SECONDS

    def _idle(self) -> list[_Held]:
        """The shards to read that no read in flight takes."""
        return [
            held for held in self._held.values() if held.redo_at is None and held.reading is None
        ]

    def _start_read(self) -> None:
        """One blocking read of every shard that is not being redone, acknowledging each
        one's batch done in the same round trip."""
        idle = self._idle()
        if not idle:
            return
        done = {held.shard: (held.done, held.retried) for held in idle if held.done}
        read = asyncio.ensure_future(
            self.stream.ack_and_read_shards(
                done, [held.shard for held in idle], self.workers.holder, BATCH, READ_BLOCK_MS
            )
        )
        self._reads[read] = idle
        for held in idle:
            held.reading = read

    async def _next_batch(self) -> list[tuple[_Held, list[Entry]]]:
        """The new entries of the read, as soon as it answers; none when the set of
        shards changes first, or a shard is due for its redo."""
        redos = [held.redo_at for held in self._held.values() if held.redo_at is not None]
        timeout = max(0.0, min(redos) - time.monotonic()) if redos else None
        changed = asyncio.ensure_future(self._changed.wait())
        waiting: set[asyncio.Future[Any]] = {changed, *self._reads}
        try:
            await asyncio.wait(waiting, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            changed.cancel()
        batch: list[tuple[_Held, list[Entry]]] = []
        for read in [read for read in self._reads if read.done()]:
            reading = self._reads.pop(read)
            for held in reading:
                held.reading = None
            try:
                taken = read.result()
            except Exception:
                log.exception("a read of %d shards failed; they will be redone", len(reading))
                for held in reading:
                    held.redo_at = time.monotonic() + REDO_SECONDS
                continue
            for held in reading:
                held.done, held.retried = [], False
            by_shard = {held.shard: held for held in reading}
            batch.extend((by_shard[shard], entries) for shard, entries in taken)
        return batch

    async def _work_batch(self, batch: list[tuple[_Held, list[Entry]]]) -> None:
        """Work the entries of every shard of ``batch`` at once. When that fails for any
        reason but the store's, each shard's entries are redone apart (``_work``), so that
        an entry that fails holds up its own shard only."""
        if len(batch) == 1:
            await self._work_part(*batch[0])
            return
        entries = [entry for _, part in batch for entry in part]
        if not entries:
            return
        try:
            await self.work(entries)
        except Exception as error:
            if is_store_fault(error):
                log.exception("a batch of %d shards failed; they will be redone", len(batch))
                for held, _ in batch:
                    held.redo_at = time.monotonic() + REDO_SECONDS
                return
            log.warning(
                "a batch of %d entries of %d shards failed (%s: %s); each shard's are redone",
                len(entries),
                len(batch),
                type(error).__name__,
                error,
            )
            for held, part in batch:
                await self._work_part(held, part)
            return
        for held, part in batch:
            held.done = [entry.id for entry in part]

    async def _work_part(self, held: _Held, part: list[Entry]) -> None:
        with self._failing(held):
            held.done = await self.workers._work(
                self.stream, held.shard, self.work, part, retried=False
            )


async def settle(tasks: list[asyncio.Task[Any]], grace: float) -> None:
    """Let tasks finish on their own for ``grace`` seconds, then cancel what is left."""
    if not tasks:
        return
    _, late = await asyncio.wait(tasks, timeout=grace)
    for task in late:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            try:
                await task
            except Exception:
                log.exception("a worker failed while stopping")
