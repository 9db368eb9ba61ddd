"""One reader of the numbers' event logs for every live view stream of this process: the
logs are read once per poll however many pages are open, and each event is handed to the
streams whose numbers it is on."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable

from bot.core.retry import log_failure
from stores.events import BaseEventLog, LoggedEvent

log = logging.getLogger(__name__)

POLL = 0.25
"""Seconds between two reads of the logs while a stream is open: how late an event shows."""
PAGE = 200
BACKLOG = 1000
"""Events waiting for one stream; past it the stream is told to read everything again."""
OUTAGE_PAUSE = 2.0
"""Seconds between two tries while the store cannot be read: one log line each."""
RESYNC, STOP = "resync", "stop"

Item = LoggedEvent | str
"""An event, ``resync`` (events were dropped for a stream that fell behind) or ``stop``."""


class EventTail:
    """Hands the events appended to the logs from now on to the streams that subscribe.

    Each log is read on from its own last entry handed on: the logs' one order, in which
    entries of one millisecond go by number, is only the order events are handed on in,
    never where a log is read from."""

    def __init__(self, events: BaseEventLog, poll: float = POLL) -> None:
        self.events = events
        self.poll = poll
        self._streams: dict[asyncio.Queue[Item], frozenset[str]] = {}
        self._holders: dict[asyncio.Queue[Item], object] = {}
        """Who holds each stream (a live token's grant), for ``holding``."""
        self._cursors: dict[str, str] = {}
        """For each log read, the entry id it is read on after: the last it handed on, or
        where it started."""
        self._task: asyncio.Task[None] | None = None
        self._starting = asyncio.Lock()

    async def subscribe(self, numbers: Iterable[str], holder: object = None) -> asyncio.Queue[Item]:
        """A queue of the events of ``numbers`` (and of those on no number, about
        profiles) appended after this call, held by ``holder`` until unsubscribed."""
        queue: asyncio.Queue[Item] = asyncio.Queue(BACKLOG)
        self._streams[queue] = frozenset(numbers) | {""}
        self._holders[queue] = holder
        try:
            async with self._starting:
                if self._task is None or self._task.done():
                    self._cursors.clear()
                    await self._follow()
                    self._task = asyncio.create_task(self._run())
                else:
                    await self._follow()
        except BaseException:
            self.unsubscribe(queue)
            raise
        return queue

    async def rescope(self, queue: asyncio.Queue[Item], numbers: Iterable[str]) -> None:
        """The stream's numbers become ``numbers``: those added, from now on."""
        if queue in self._streams:
            self._streams[queue] = frozenset(numbers) | {""}
            self._forget()
            async with self._starting:
                await self._follow()

    def unsubscribe(self, queue: asyncio.Queue[Item]) -> None:
        self._streams.pop(queue, None)
        self._holders.pop(queue, None)
        self._forget()

    def holding(self, holder: object) -> int:
        """How many streams ``holder`` holds open."""
        return sum(1 for held in self._holders.values() if held == holder)

    async def stop(self) -> None:
        """End every stream, and the reading."""
        for queue in list(self._streams):
            _offer(queue, STOP)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def _numbers(self) -> list[str]:
        return sorted(frozenset().union(*self._streams.values()))

    async def _follow(self) -> None:
        """Read the logs of the streams' numbers not read yet, each from its newest entry
        (an empty one from its start): nothing appended before is handed on, and nothing
        after missed. Under ``_starting``, so that a log is started once."""
        new = [number for number in self._numbers() if number not in self._cursors]
        if not new:
            return
        newest = await self.events.newest(new)
        wanted = set(self._numbers())  # a stream may have left meanwhile
        for number, entry_id in newest.items():
            if number in wanted:
                self._cursors.setdefault(number, entry_id)

    def _forget(self) -> None:
        """Stop reading the logs no stream follows: a stream that adds one later starts it
        anew, from then, not from where it was left."""
        wanted = set(self._numbers())
        for number in [number for number in self._cursors if number not in wanted]:
            del self._cursors[number]

    async def _run(self) -> None:
        while self._streams:
            after = dict(self._cursors)
            try:
                page = await self.events.read_each(after, PAGE)
            except Exception:  # the store is away: the streams wait, and hear later
                log_failure(log, "could not read the event logs for the live view")
                await asyncio.sleep(OUTAGE_PAUSE)
                continue
            # A log forgotten or started anew while it was read: its events are not for the
            # streams of now, which read it from its new place.
            kept = {number for number in after if self._cursors.get(number) == after[number]}
            for logged in page.events:
                if logged.position.number not in kept:
                    continue
                for queue, numbers in list(self._streams.items()):
                    if logged.position.number in numbers:
                        _offer(queue, logged)
            for number in kept:
                self._cursors[number] = page.reached[number]
            if not page.more:
                await asyncio.sleep(self.poll)


def _offer(queue: asyncio.Queue[Item], item: Item) -> None:
    try:
        queue.put_nowait(item)
    except asyncio.QueueFull:
        # A page that cannot keep up reads everything again once, instead of a part.
        while not queue.empty():
            queue.get_nowait()
        queue.put_nowait(STOP if item == STOP else RESYNC)
