"""One reader of the numbers' event logs for every live view stream of this process: the
logs are read once per poll however many pages are open, and each event is handed to the
streams whose numbers it is on."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Iterable

from stores.events import BaseEventLog, LoggedEvent, Position

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
    """Hands the events appended to the logs from now on to the streams that subscribe."""

    def __init__(self, events: BaseEventLog, poll: float = POLL) -> None:
        self.events = events
        self.poll = poll
        self._streams: dict[asyncio.Queue[Item], frozenset[str]] = {}
        self._position: Position | None = None
        self._task: asyncio.Task[None] | None = None
        self._starting = asyncio.Lock()

    async def subscribe(self, numbers: Iterable[str]) -> asyncio.Queue[Item]:
        """A queue of the events of ``numbers`` (and of those on no number, about
        profiles) appended after this call."""
        queue: asyncio.Queue[Item] = asyncio.Queue(BACKLOG)
        self._streams[queue] = frozenset(numbers) | {""}
        async with self._starting:
            if self._task is None or self._task.done():
                newest = await self.events.last(self._numbers())
                # With empty logs, from a moment ago: never the whole log of a number
                # that a later stream adds.
                self._position = newest or Position(int((time.time() - 1) * 1000), 0, "")
                self._task = asyncio.create_task(self._run())
        return queue

    def rescope(self, queue: asyncio.Queue[Item], numbers: Iterable[str]) -> None:
        if queue in self._streams:
            self._streams[queue] = frozenset(numbers) | {""}

    def unsubscribe(self, queue: asyncio.Queue[Item]) -> None:
        self._streams.pop(queue, None)

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

    async def _run(self) -> None:
        while self._streams:
            try:
                found = await self.events.read(self._numbers(), self._position, PAGE)
            except Exception:  # the store is away: the streams wait, and hear later
                log.exception("could not read the event logs for the live view")
                await asyncio.sleep(OUTAGE_PAUSE)
                continue
            for logged in found:
                self._position = logged.position
                for queue, numbers in list(self._streams.items()):
                    if logged.position.number in numbers:
                        _offer(queue, logged)
            if len(found) < PAGE:
                await asyncio.sleep(self.poll)


def _offer(queue: asyncio.Queue[Item], item: Item) -> None:
    try:
        queue.put_nowait(item)
    except asyncio.QueueFull:
        # A page that cannot keep up reads everything again once, instead of a part.
        while not queue.empty():
            queue.get_nowait()
        queue.put_nowait(STOP if item == STOP else RESYNC)
