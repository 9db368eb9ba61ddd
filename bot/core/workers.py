"""The shard workers of one process: a fair share of the inbound and outbox shards, each
held under a lease so that a conversation has ONE worker, redone from the pending list
after a crash (REL-1)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import zlib
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from stores.leases import Leases
from stores.streams import Entry, ShardedStream

log = logging.getLogger(__name__)

LEASE_TTL_MS = 5000
LEASE_RENEW_SECONDS = 1.5
BATCH = 200

Work = Callable[[list[Entry]], Awaitable[None]]


class ShardWorkers:
    """Holds leases on a fair share of the shards and runs a consumer on each stream of
    every shard it holds; hands shards over when other processes join."""

    def __init__(
        self,
        streams: Sequence[tuple[ShardedStream, Work]],
        leases: Leases,
        holder: str,
        shards: int,
    ) -> None:
        self.streams = streams
        self.leases = leases
        self.holder = holder
        self.shards = shards
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._handovers: dict[int, asyncio.Event] = {}
        self._stopping = asyncio.Event()

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
        while not stopping.is_set():
            try:
                alive = await self.leases.heartbeat("shards", LEASE_TTL_MS)
            except Exception:
                log.exception("could not announce this process to the others")
                alive = 1
            share = -(-self.shards // max(alive, 1))
            for shard in order:
                await self._keep_or_take(shard, share)
            self._hand_over_beyond(order, share, alive)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), LEASE_RENEW_SECONDS)
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

    async def _keep_or_take(self, shard: int, share: int) -> None:
        task = self._tasks.get(shard)
        name = f"shard:{shard}"
        if task is not None and task.done() and self._handovers[shard].is_set():
            await self.leases.release(name)  # handed over: the batch in hand is done
            del self._tasks[shard], self._handovers[shard]
            return
        if task is None and len(self._tasks) >= share:
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
                group.create_task(self._consume(stream, shard, work, handover))

    async def _consume(
        self, stream: ShardedStream, shard: int, work: Work, handover: asyncio.Event
    ) -> None:
        """Redo what a dead holder left pending, then read new entries until stopped.

        After any failure the batch stays unacknowledged; it is taken back and redone.
        """
        recovering = True
        while True:
            try:
                if recovering:
                    batch: list[Entry] = await stream.claim_pending(shard, self.holder)
                    recovering = False
                else:
                    batch = await stream.read(shard, self.holder, BATCH, 500)
                if batch:
                    await work(batch)
                    await stream.ack(shard, [entry.id for entry in batch])
            except Exception:
                log.exception("shard %d: a batch failed; it will be redone", shard)
                recovering = True
                await asyncio.sleep(1)
            if self._stopping.is_set() or handover.is_set():
                return


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
