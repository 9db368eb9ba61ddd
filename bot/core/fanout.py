"""Fan-out: every event queued for every service attached to its number (SN-2)."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from bot.core.directory import Directory
from bot.core.redaction import erased
from bot.model import Event
from stores.deliveries import DeliveryQueue
from stores.events import BaseEventLog
from stores.pipeline import after_sent
from stores.redis import Pipe

Logged = tuple[str, str, str]
"""An event as the log and the queues take it: its number, its id and its JSON, encoded
once for both."""


class Fanout:
    """Queues events for the services attached to their numbers; ``Couriers`` deliver them."""

    def __init__(
        self,
        queue: DeliveryQueue,
        directory: Directory,
        queued: Callable[[Iterable[str]], None] = lambda services: None,
        log: BaseEventLog | None = None,
        ride: Callable[[Pipe, Iterable[str]], None] | None = None,
    ) -> None:
        self.queue = queue
        self.directory = directory
        self.queued = queued
        """Told which services got events once they are in Redis, so that this process's
        couriers look at once."""
        self.ride = ride
        """Given a pipeline that queues events and their services, so that this process's
        couriers read them in its round trip (``Couriers.ride``); else ``queued`` is told
        once it is sent."""
        self.log = log
        """Where every event but a parent's own news is kept for services catching up."""
        self.announce = True
        """Announce queued events to the couriers of every process: True in a process that
        delivers none (the command line), whose couriers ``queued`` never reaches."""

    async def publish_to_parent(self, events: list[Event]) -> None:
        """Fan events out to the parent of their number alone (news of the number's
        account, such as a template's review, which only the parent sends with)."""
        await self.directory.catch_up(event.number for event in events)
        addressed = []
        for event in events:
            services = self.directory.cached(event.number)
            if services and services[0].url:
                addressed.append((services[0].name, event.to_json(), event.id))
        await self._add(addressed)

    def queue_versions(self, pipe: Pipe, numbers: Sequence[str]) -> None:
        """Queue the reads of the numbers' versions on a round trip the caller makes."""
        self.directory.queue_versions(pipe, numbers)

    async def take_versions(self, numbers: Sequence[str], answers: Sequence[Any]) -> None:
        """Bring the views of the numbers' services up to the versions read, for
        ``queue_events`` (a round trip of its own only when one moved)."""
        self.directory.take_versions(numbers, answers)
        await self.directory.refresh(numbers)

    async def queue_events(self, pipe: Pipe, events: Iterable[Event]) -> None:
        """Queue each event for each service attached to its number, on the caller's pipeline,
        as the caller last brought the directory up to date (the pipeline and the sender
        read the versions of their numbers in a round trip they make anyway).

        The runtime's own service has no webhook: it hears nothing.
        """
        logged = _logged(events)
        self._queue(pipe, await self._addressed(logged))
        if self.log:
            self.log.queue_append(pipe, logged)

    async def publish(self, events: Iterable[Event]) -> None:
        """``queue_events`` in a round trip of its own, to the services attached now."""
        logged = _logged(events)
        await self.directory.catch_up(number for number, _, _ in logged)
        await self._add(await self._addressed(logged))
        if self.log:
            await self.log.append(logged)

    async def queue_broadcast(
        self, pipe: Pipe, numbers: Iterable[str], events: list[Event]
    ) -> None:
        """Queue events that concern every number (a profile's) once for each service
        attached to any of them."""
        logged = _logged(events)
        self._queue(pipe, await self._broadcast(numbers, logged))
        if self.log:
            self.log.queue_append(pipe, logged)

    async def broadcast(self, numbers: Iterable[str], events: list[Event]) -> None:
        """``queue_broadcast`` in a round trip of its own."""
        logged = _logged(events)
        await self._add(await self._broadcast(numbers, logged))
        if self.log:
            await self.log.append(logged)

    async def forget(self, profiles: Sequence[str], conversations: Sequence[str]) -> int:
        """Strip an erased person's content (of ``profiles``, with ``conversations``) from
        every event still queued for a service: waiting, due for a retry or dead-lettered,
        so that none of it goes out after the erasure (PS-7), and from the numbers' event
        logs, which services catching up read. How many it stripped.

        Done once, at the erasure, so that delivering costs nothing more; a delivery
        already in flight is not called back, but if it fails, it is not retried.
        """
        needles = [*profiles, *conversations]
        if not needles:
            return 0
        strip = functools.partial(
            erased, profiles=frozenset(profiles), conversations=frozenset(conversations)
        )
        numbers = await self.directory.store.numbers()
        await self.directory.catch_up(numbers)
        services = {s.name for n in numbers for s in self.directory.cached(n) if s.url}
        # A service detached keeps its queue, which goes out if it is attached again.
        services |= await self.directory.store.detached_somewhere()
        stripped = 0
        for service in sorted(services):
            stripped += await self.queue.scrub(service, needles, strip)
        if self.log:
            stripped += await self.log.scrub([*numbers, ""], needles, strip)
        return stripped

    def _queue(self, pipe: Pipe, addressed: list[tuple[str, str, str]]) -> None:
        now = time.time()
        for service, body, event_id in addressed:
            self.queue.queue(pipe, service, body, now, event_id)
        if addressed:
            if self.announce:
                self.queue.queue_announce(pipe)
            services = {s for s, _, _ in addressed}
            if self.ride is not None:
                self.ride(pipe, services)
            else:
                # Once sent: the caller may send the pipeline much later (a busy process),
                # and the couriers look for the events a short while after being told.
                after_sent(pipe, functools.partial(self.queued, services))

    async def _add(self, addressed: list[tuple[str, str, str]]) -> None:
        await self.queue.add(addressed, time.time())
        if addressed:
            if self.announce:
                await self.queue.announce()
            self.queued({service for service, _, _ in addressed})

    async def _addressed(self, logged: list[Logged]) -> list[tuple[str, str, str]]:
        """(service, event JSON, event id) for each service with a webhook attached to
        each event's number."""
        await self.directory.refresh(number for number, _, _ in logged)  # any never read
        addressed = []
        for number, event_id, body in logged:
            for service in self.directory.cached(number):
                if service.url:
                    addressed.append((service.name, body, event_id))
        return addressed

    async def _broadcast(
        self, numbers: Iterable[str], logged: list[Logged]
    ) -> list[tuple[str, str, str]]:
        """(service, event JSON, event id) for each event and each service with a webhook
        attached to any of ``numbers``, once."""
        if not logged:
            return []
        numbers = list(numbers)
        await self.directory.catch_up(numbers)
        services = {}
        for number in numbers:
            for service in self.directory.cached(number):
                if service.url:
                    services[service.name] = service
        return [(name, body, event_id) for _, event_id, body in logged for name in services]


def _logged(events: Iterable[Event]) -> list[Logged]:
    return [(event.number, event.id, event.to_json()) for event in events]
