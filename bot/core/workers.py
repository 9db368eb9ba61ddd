"""The shard workers of one process: a fair share of the inbound and outbox shards, each
held under a lease so that a conversation has ONE worker, redone from the pending list
after a crash (REL-1). An entry that keeps failing is set aside after a bounded number
of attempts, so that one bad message never stops its shard."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import zlib
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import replace
from typing import Any, Protocol

from bot.core.metrics import Meters
from bot.core.retry import StoreFailureLine, log_failure
from bot.logs import bind
from stores.leases import Leases
from stores.redis import MAX_CONNECTIONS, is_store_fault
from stores.streams import Entry, ShardedStream

log = logging.getLogger(__name__)

LEASE_TTL_MS = 5000
LEASE_RENEW_SECONDS = 1.5
"""Each round renews every lease the process holds, and its heartbeat, in one command."""
BATCH = 200
READ_BLOCK_MS = 25_000
"""How long a shard's read waits for new entries. A blocking read wakes at once on a new
entry, so this bounds only the idle cost (one command per stream per wait); a handover or
a stop interrupts it. Below the connections' 30 s health check, which would add a PING."""
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


Work = Callable[[list[Entry]], Awaitable[Collection[str] | None]]
"""Works a batch; the ids of the entries it left, which stay pending, or None when it did
them all. A stopping process leaves them for the shard's next holder (it starts no new
send); else they are redone ``REDO_SECONDS`` later (sends waiting behind one a crash cut
short), while the shard's new entries go on."""


class Rider(Protocol):
    """A lease of another part that the supervisor's round keeps along with the shards'
    (the scheduler's), so that holding it costs no command of its own."""

    def lease_in_hand(self) -> str | None:
        """The lease to keep this round; None while it is not held."""

    def lease_kept(self, held: bool) -> None:
        """Whether the round kept it."""


class ShardWorkers:
    """Holds leases on a fair share of the shards and runs a consumer on each stream of
    every shard it holds; hands shards over when other processes join."""

    def __init__(
        self,
        streams: Sequence[tuple[ShardedStream, Work]],
        leases: Leases,
        holder: str,
        shards: int,
        meters: Meters,
        departed: Callable[[], None] = lambda: None,
        riders: Sequence[Rider] = (),
        most: int | None = None,
    ) -> None:
        self.streams = streams
        self.most = most
        """Shards this process works at most (None: no bound). A shard's reads wait on a
        connection of their own, one per stream, and the process's Redis connections are
        bounded: past that, the rest of the process would wait for a connection."""
        self._short: tuple[int, int] = (0, 0)
        """The shards nobody in reach works, and the processes alive, when it was said."""
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
        self._batches_failed = StoreFailureLine(log, "shard %d: a batch failed; it will be redone")
        self._hand_backs_failed = StoreFailureLine(
            log, "shard %d: could not hand back what its reads took"
        )

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
                log_failure(log, "could not announce this process to the others")
                alive, renewed = 1, set()
            if alive < was_alive:
                self.departed()
            was_alive = alive
            share = self._share(alive)
            for shard in order:
                await self._keep_or_take(shard, share, shard in renewed)
            self._hand_over_beyond(order, share, alive)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), LEASE_RENEW_SECONDS)
        for handover in self._handovers.values():
            handover.set()  # the reads waiting for new entries end; batches in hand finish
        with contextlib.suppress(Exception):
            await self.leases.leave("shards")

    def _share(self, alive: int) -> int:
        """The shards this process takes of the ``alive`` processes' work: a fair share,
        within ``most``. What the processes alive cannot take waits in Redis, and is said
        once each time it changes."""
        share = -(-self.shards // max(alive, 1))
        if self.most is None or share <= self.most:
            self._short = (0, alive)
            return share
        short = (self.shards - self.most * max(alive, 1), alive)
        if short != self._short:
            self._short = short
            log.error(
                "SWITCHBOARD_SHARDS=%d is more than %d process(es) can work: each works "
                "at most %d shards (their reads hold %d of its %d Redis connections), so "
                "about %d shards wait, with their messages, until %d processes run",
                self.shards,
                alive,
                self.most,
                self.most * len(self.streams),
                MAX_CONNECTIONS,
                short[0],
                -(-self.shards // self.most),
            )
        return self.most

    def _hand_over_beyond(self, order: list[int], share: int, alive: int) -> None:
        active = [s for s in order if s in self._tasks and not self._handovers[s].is_set()]
        for shard in active[share:]:
            log.info(
                "handing shard %d over: %d processes share %d shards", shard, alive, self.shards
            )
            self._handovers[shard].set()

    async def release_all(self) -> None:
        """Let go of every shard lease, once the workers are done. A store out of reach
        lets them lapse instead, within ``LEASE_TTL_MS``: the stop goes on."""
        for shard in list(self._tasks):
            try:
                await self.leases.release(f"shard:{shard}")
            except Exception:
                log_failure(log, "could not let go of the shard leases; they lapse in 5 s")
                return

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
            granted = await self.leases.grant(name, LEASE_TTL_MS)
        except Exception:
            log_failure(log, "could not renew the lease of shard %d", shard)
            granted = None
        if granted is not None and (task is None or task.done()):
            self._handovers[shard] = asyncio.Event()
            self._tasks[shard] = asyncio.create_task(
                self._work_shard(shard, after_lapse=granted.after_lapse)
            )
        elif granted is None and task is not None:
            task.cancel()  # the lease is lost: another process works this shard now
            del self._tasks[shard], self._handovers[shard]
            await asyncio.wait([task])
            await self._hand_back(shard)

    async def _hand_back(self, shard: int) -> None:
        """What this process's reads took of a shard it lost, back to the shard's holder.

        Its new holder took over what was pending when it started; a read of this
        process may still have waited then (paused past the lease, say), and been handed
        entries after. Nobody else would ever take those."""
        for stream, _ in self.streams:
            try:
                moved = await stream.hand_back(shard, self.holder)
            except Exception as error:
                if is_store_fault(error):
                    self._hand_backs_failed.say(error, shard)
                else:
                    log.exception("shard %d: could not hand back what its reads took", shard)
                continue
            if moved:
                log.warning(
                    "shard %d was lost with %d %s entries read and not done; they are "
                    "back on it for its holder",
                    shard,
                    moved,
                    stream.kind,
                )

    async def _work_shard(self, shard: int, *, after_lapse: bool) -> None:
        # A TaskGroup, so that one consumer failing cancels its sibling: a shard never has
        # a worker nobody watches while the supervisor starts a new one.
        handover = self._handovers[shard]
        async with asyncio.TaskGroup() as group:
            for stream, work in self.streams:
                group.create_task(
                    self._consume(stream, shard, work, handover, after_lapse=after_lapse)
                )

    async def _consume(
        self,
        stream: ShardedStream,
        shard: int,
        work: Work,
        handover: asyncio.Event,
        *,
        after_lapse: bool,
    ) -> None:
        """Redo what a dead holder left pending, then read new entries until stopped.

        After a failure what is not acknowledged is taken back and redone a second later;
        an entry that keeps failing is set aside after ``ENTRY_ATTEMPTS``.
        """
        bind(shard=shard, stream=stream.kind)  # this task's lines name its shard
        recovering = True
        # Taken from a holder whose lease lapsed (paused past it, or dead), a read of that
        # holder may still wait on the shard, and be handed entries that nobody would
        # ever take (a live holder hands them back, one that died cannot). Such a read
        # began before this one's first read, so it is over by the time a read waits
        # as long after that: what is pending then is taken over once, like a crash's.
        # A read that came back empty after its whole block was ended by Redis, after any
        # read begun before it, whatever this loop's clock says of its wait (uvloop's
        # counts whole milliseconds: a wait of the whole block can measure a hair short).
        loop = asyncio.get_running_loop()
        first_read: float | None = None
        swept = not after_lapse
        # The batch worked last, to acknowledge with the next read in one round trip.
        done: list[str] = []
        done_retried = False
        redo_at: float | None = None  # when to redo the entries a batch left pending
        while True:
            if redo_at is not None and loop.time() >= redo_at:
                recovering, redo_at = True, None
            try:
                waited_out = False
                if recovering:
                    await stream.ack(shard, done, retried=done_retried)
                    done = []
                    batch: list[Entry] = await stream.claim_pending(shard, self.holder)
                else:
                    first_read = loop.time() if first_read is None else first_read
                    block_ms = READ_BLOCK_MS
                    if redo_at is not None:
                        block_ms = max(1, min(block_ms, int((redo_at - loop.time()) * 1000)))
                    batch, acked = await self._read(
                        stream, shard, handover, done, done_retried, block_ms
                    )
                    if acked:
                        done = []
                    waited_out = acked and not batch and block_ms == READ_BLOCK_MS
                retried, recovering = recovering, False
                if not swept and first_read is not None:
                    swept = recovering = (
                        waited_out or loop.time() - first_read >= READ_BLOCK_MS / 1000
                    )
                worked, leaving = await self._work(stream, shard, work, batch, retried=retried)
                if leaving and redo_at is None:
                    redo_at = loop.time() + REDO_SECONDS
                # Ids left from a read that was cut short keep their own kind along.
                done_retried = retried or (bool(done) and done_retried)
                done = worked + done
            except EntryFailedError as error:
                log.warning("shard %d: %s; it is redone", shard, error)
                recovering = True
                await asyncio.sleep(REDO_SECONDS)
            except Exception as error:
                if is_store_fault(error):  # Redis out of reach: every shard says it at once
                    self._batches_failed.say(error, shard)
                else:
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
        block_ms: int,
    ) -> tuple[list[Entry], bool]:
        """New entries of ``shard``, as soon as there are some; none once handed over.
        The entries ``done`` are acknowledged in the same round trip, before the read
        waits; the second answer says whether that round trip was made.

        Entries a read interrupted here may have taken stay pending: whoever works the
        shard next redoes them, as after a crash."""
        if handover.is_set():
            return [], False
        reading = asyncio.ensure_future(
            stream.ack_and_read(shard, done, self.holder, BATCH, block_ms, retried=retried)
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
    ) -> tuple[list[str], bool]:
        """Work a batch and acknowledge it. When it fails for any reason but the store's,
        the entry that fails is found by redoing the batch one entry at a time.

        Returns the ids of a batch that succeeded, for the caller to acknowledge with its
        next read, and whether the work left entries pending."""
        if not batch:
            return [], False
        try:
            left = await work(batch)
        except Exception as error:
            if is_store_fault(error):
                raise
            if len(batch) == 1:
                await self._failed(stream, shard, batch[0], error)
                return [], False
            log.warning(
                "shard %d: a batch of %d failed (%s: %s); its entries are redone one by one",
                shard,
                len(batch),
                type(error).__name__,
                error,
            )
            return [], await self._one_by_one(stream, shard, work, batch)
        if not left:
            return [entry.id for entry in batch], False
        return [entry.id for entry in batch if entry.id not in left], True

    async def _one_by_one(
        self, stream: ShardedStream, shard: int, work: Work, batch: list[Entry]
    ) -> bool:
        """Work each entry alone, in order, acknowledging each that succeeds; stops at
        one that fails with attempts left (EntryFailedError), or that the work left
        pending (True)."""
        for entry in batch:
            try:
                left = await work([replace(entry, redone=True)])
            except Exception as error:
                if is_store_fault(error):
                    raise
                await self._failed(stream, shard, entry, error)
                continue
            if left:
                return True  # it and those after it wait, as the work left them
            await stream.ack(shard, [entry.id], retried=True)
        return False

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
