"""The notification scheduler (AU-4): one process at a time, by a lease with fencing,
starts the due runs (one-offs, cron occurrences, recipients whose quiet hours are over)
when they are due, and runs them, each under a lease of its own, so that a run is
worked by one process and a crashed one is taken over where it stopped.

It sleeps until the first run on the schedule is due; a run put on the schedule by any
process wakes it (``NotificationStore.listen``)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Protocol

from bot.core.metrics import Meters
from bot.core.retry import log_failure
from bot.outreach.runs import Runs
from stores.leases import Leases
from stores.notifications import NotificationStore
from stores.redis import is_store_fault

log = logging.getLogger(__name__)

LEASE = "scheduler"
LEASE_TTL_MS = 5000
RENEW_SECONDS = LEASE_TTL_MS / 1000 / 3
"""How often the holder renews the lease."""
TICK_SECONDS = 1.0
"""How often a process without the lease tries to take it, and the shortest wait between
two looks at the schedule while runs are due that this process cannot start yet."""
LOOK_SECONDS = 15.0
"""The longest sleep between two looks at the schedule, should a wake-up be lost (the
announcement of a change is not kept while Redis restarts)."""
MAX_PARALLEL = 4
"""Runs this process works at once; the rest wait for the next tick."""
RUN_ATTEMPTS = 5
"""Attempts at a run that keeps failing, 1, 2, 4 and 8 s apart, before it is set aside
(``admin dead-letters --notifications``). A failure of the store itself is no attempt."""
ERROR_CHARS = 500


class SequenceTicker(Protocol):
    """The drip sequences' part of a tick (``bot.outreach.sequences.Sequences``)."""

    async def tick(self, fence: int, now: float) -> None: ...

    async def next_due(self) -> float | None: ...


class Scheduler:
    """Ticks while this process holds the scheduler's lease."""

    def __init__(
        self,
        store: NotificationStore,
        runs: Runs,
        leases: Leases,
        meters: Meters,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.meters = meters
        self.store = store
        self.runs = runs
        self.leases = leases
        self.clock = clock
        self.token: int | None = None
        """The fencing token while this process schedules; None otherwise."""
        self.started = 0
        """Runs started by this process (for tests and metrics)."""
        self._woken = asyncio.Event()
        self._working: dict[str, asyncio.Task[None]] = {}
        self._renew_at = 0.0
        self._look_at = 0.0
        self._failures = 0
        """Ticks failed in a row (the store out of reach): the next waits longer."""
        self.renewed_elsewhere = False
        """The lease, once held, is kept by another part's round (``lease_kept``)."""
        self.sequences: SequenceTicker | None = None
        """Drip sequences: their due steps become runs, under the same lease."""

    def wake(self) -> None:
        """Look at the schedule now, not at the next tick."""
        self._woken.set()

    def lease_in_hand(self) -> str | None:
        return LEASE if self.renewed_elsewhere and self.token is not None else None

    def lease_kept(self, held: bool) -> None:
        if not held:  # lapsed or taken: try to take it again at the next tick
            self.token = None
            self._renew_at = 0.0
            self._woken.set()

    async def run(self, stopping: asyncio.Event) -> None:
        """Schedule until ``stopping`` is set; then let go of the lease and the runs."""
        try:
            while not stopping.is_set():
                woken = self._woken.is_set()
                self._woken.clear()
                failed = False
                try:
                    await self.tick(woken)
                    self._failures = 0
                except Exception:
                    log_failure(log, "the scheduler's tick failed; it tries again")
                    self._failures += 1
                    failed = True
                wait = min(self._renew_at, self._look_at) - time.monotonic()
                if failed:
                    # The next try when it is due, but not before a second, two, four...
                    # (at most 5): a store that is down fails every look and every lease.
                    wait = max(wait, min(TICK_SECONDS * 2 ** (self._failures - 1), 5.0))
                if wait <= 0:
                    continue
                # After a failure, a wake (a new notification, each a second under load)
                # waits for the next try as well: the store is likely still failing.
                wakers = (stopping,) if failed else (stopping, self._woken)
                waits = [asyncio.ensure_future(e.wait()) for e in wakers]
                await asyncio.wait(waits, timeout=wait, return_when="FIRST_COMPLETED")
                for waiting in waits:
                    waiting.cancel()
        finally:
            await self._let_go()

    async def tick(self, woken: bool = True) -> int:
        """Keep or take the lease when it is time to, and start the due runs this process
        is not working yet when it is time to look or ``woken``; how many it started."""
        clock = time.monotonic()
        if self.renewed_elsewhere and self.token is not None:
            self._renew_at = clock + LOOK_SECONDS
        elif clock >= self._renew_at:
            held = self.token is not None
            self.token = await self.leases.acquire(LEASE, LEASE_TTL_MS)
            self._renew_at = clock + (RENEW_SECONDS if self.token is not None else TICK_SECONDS)
            woken = woken or not held  # just taken: look at once
        if self.token is None:
            self._look_at = self._renew_at
            return 0
        if not woken and clock < self._look_at:
            return 0
        await self._sequences(self.token)
        started = await self._start_due()
        first = await self.store.next_due()
        if self.sequences is not None:
            step = await self.sequences.next_due()
            first = first if step is None else step if first is None else min(first, step)
        now = self.clock()
        if first is None:
            ahead = LOOK_SECONDS
        elif first <= now:  # due and not started: all in hand, or this process is full
            ahead = TICK_SECONDS
        else:
            ahead = min(first - now, LOOK_SECONDS)
        self._look_at = time.monotonic() + ahead
        return started

    async def _sequences(self, token: int) -> None:
        """Hand the due steps of drip sequences over as runs; a failure here holds back no
        notification, and the next look tries again."""
        if self.sequences is None:
            return
        try:
            await self.sequences.tick(token, self.clock())
        except Exception as error:
            if not is_store_fault(error):
                log.exception("the drip sequences' tick failed; the next look tries again")
                return
            log.warning("the drip sequences' tick: the store failed (%s)", error)

    async def _start_due(self) -> int:
        started = 0
        for nid, run, _ in await self.store.due(self.clock(), limit=MAX_PARALLEL * 4):
            member = f"{nid}|{run}"
            if member in self._working or len(self._working) >= MAX_PARALLEL:
                continue
            task = asyncio.create_task(self._execute(nid, run))
            self._working[member] = task
            task.add_done_callback(self._forget(member))
            started += 1
        self.started += started
        return started

    def _forget(self, member: str) -> Callable[[asyncio.Task[None]], None]:
        def forget(_: asyncio.Task[None]) -> None:
            self._working.pop(member, None)
            self._woken.set()  # a run ends: its next occurrence, or the ones that waited

        return forget

    async def _execute(self, nid: str, run: int) -> None:
        try:
            await self.runs.execute(nid, run, clock=self.clock)
        except Exception as error:
            if is_store_fault(error):
                log.warning("notification %s run %d: the store failed (%s)", nid, run, error)
                return  # due still: the next tick tries again
            try:
                await self._failed(nid, run, error)
            except Exception:
                log.exception("notification %s run %d: could not count its failure", nid, run)

    async def _failed(self, nid: str, run: int, error: Exception) -> None:
        """Try a failed run again later and later; after its last attempt, set it aside,
        so that it holds back no other run."""
        described = f"{type(error).__name__}: {error}"[:ERROR_CHARS]
        now = self.clock()
        attempts = await self.store.fail_run(nid, run, described, now)
        if attempts < RUN_ATTEMPTS:
            log.warning(
                "notification %s run %d failed, attempt %d of %d (%s); it is tried again",
                nid,
                run,
                attempts,
                RUN_ATTEMPTS,
                described,
            )
            await self.store.postpone(nid, run, now + 2 ** (attempts - 1))
            return
        log.error(
            "notification %s run %d failed %d times; it is set aside",
            nid,
            run,
            attempts,
            exc_info=error,
        )
        await self.runs.set_aside(nid, run, now)
        self.meters.notifications_dead_lettered.inc()

    async def _let_go(self) -> None:
        """Stop the runs in hand (each resumes from its last batch) and the lease."""
        for task in list(self._working.values()):
            task.cancel()
        for task in list(self._working.values()):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        with contextlib.suppress(Exception):
            await self.leases.release(LEASE)
        self.token = None
