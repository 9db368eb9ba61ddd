"""The fan-out's deliveries: each service's queue goes out over signed webhooks (or to a
receiver in this process), masked per the service, retried with backoff, dead-lettered."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import time
from collections.abc import Awaitable, Callable

from adapters.webhooks import WebhookClient
from bot.config.settings import DeliverySettings
from bot.core.directory import Directory
from bot.core.redaction import render
from bot.model import Service
from stores.deliveries import Delivery, DeliveryQueue

log = logging.getLogger(__name__)

RETRY_POLL_SECONDS = 0.2
ATTACHMENTS_POLL_SECONDS = 1.0


LocalReceiver = Callable[[bytes], Awaitable[str]]


class Deliveries:
    """Where a service's events go: its webhook, or for ``local:<name>`` a receiver in
    this process (the team chat)."""

    def __init__(self, webhooks: WebhookClient) -> None:
        self.webhooks = webhooks
        self.local: dict[str, LocalReceiver] = {}

    async def deliver(self, url: str, secret: str, event_id: str, body: bytes) -> str:
        """'' once delivered, else why not; failures are retried by the fan-out."""
        if url.startswith("local:"):
            receiver = self.local.get(url.removeprefix("local:"))
            return await receiver(body) if receiver else "no receiver in this process"
        return await self.webhooks.deliver(url, secret, event_id, body)


def backoff(attempts: int, settings: DeliverySettings) -> float:
    """Exponential backoff with jitter: half the step fixed, half random, capped."""
    step = min(settings.retry_cap, settings.retry_base * (2 ** min(attempts, 32)))
    return step / 2 + random.uniform(0, step / 2)


class Couriers:
    """Delivers each attached service's queue, with one delivery loop per service."""

    def __init__(
        self,
        queue: DeliveryQueue,
        client: Deliveries,
        settings: DeliverySettings,
        directory: Directory,
        consumer: str,
    ) -> None:
        self.queue = queue
        self.client = client
        self.settings = settings
        self.directory = directory
        self.consumer = consumer
        self.delivered = 0
        self.failed_attempts = 0
        self._stopping = asyncio.Event()
        self._workers: dict[str, tuple[asyncio.Event, asyncio.Task[None]]] = {}
        self._current: dict[str, Service] = {}

    async def run(self) -> None:
        """Keep one delivery loop per attached service, whichever process attached it."""
        while not self._stopping.is_set():
            try:
                await self._follow_attachments()
            except Exception:
                log.exception("could not read the attached services; trying again")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), ATTACHMENTS_POLL_SECONDS)
        workers = [task for _, task in self._workers.values()]
        if workers:
            await asyncio.wait(workers, timeout=self.settings.timeout + 5)

    async def _follow_attachments(self) -> None:
        wanted: dict[str, Service] = {}
        for number in await self.directory.store.numbers():
            for service in await self.directory.attached(number):
                if service.url:
                    wanted[service.name] = service
        self._current = wanted
        for name in wanted:
            if name not in self._workers or self._workers[name][1].done():
                await self.queue.ensure_group(name)
                stop = asyncio.Event()
                task = asyncio.create_task(self._serve(name, stop), name=f"fanout:{name}")
                self._workers[name] = (stop, task)
        for name, (stop, _) in self._workers.items():
            if name not in wanted:
                stop.set()  # detached everywhere: its queue stays, nothing more goes out

    def stop(self) -> None:
        self._stopping.set()

    async def _serve(self, name: str, detached: asyncio.Event) -> None:
        """Deliver ``name``'s queue with bounded concurrency until stopped, then drain."""
        inflight: set[asyncio.Task[None]] = set()
        finished: list[str] = []
        reclaim_every = max(self.settings.timeout * 3, 5.0)
        next_reclaim = next_due = 0.0
        while not (self._stopping.is_set() or detached.is_set()):
            if name not in self._current:
                break
            try:
                now = time.time()
                if now >= next_due:  # retries are due at most this often; no busy polling
                    next_due = now + RETRY_POLL_SECONDS
                    await self.queue.move_due(name, now)
                room = self.settings.concurrency - len(inflight)
                batch: list[Delivery] = []
                if now >= next_reclaim and room > 0:
                    batch = await self.queue.reclaim(
                        name, self.consumer, int(reclaim_every * 1000), room
                    )
                    # A full batch means a dead process left more: take the rest at once.
                    next_reclaim = now if len(batch) == room else now + reclaim_every
                if room > 0 and not batch:
                    block = 50 if inflight else 500
                    batch = await self.queue.read(name, self.consumer, room, block)
                if batch:
                    # Read afresh for every batch: a change of masking applies to the next
                    # one, and an idle queue costs no extra round trip.
                    service = await self.directory.store.get(name) or self._current[name]
                for delivery in batch:
                    task = asyncio.create_task(self._attempt(service, delivery, finished))
                    inflight.add(task)
                    task.add_done_callback(inflight.discard)
                if len(inflight) >= self.settings.concurrency:
                    await asyncio.wait(inflight, return_when=asyncio.FIRST_COMPLETED)
                await self._flush(name, finished)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("fan-out to %s failed; retrying", name)
                await asyncio.sleep(1)
        if inflight:
            await asyncio.wait(inflight, timeout=self.settings.timeout)
        await self._flush(name, finished)

    async def _flush(self, name: str, finished: list[str]) -> None:
        if finished:
            ids = finished[:]
            await self.queue.done(name, ids)
            # Dropped only once acknowledged: after a failure the next flush tries again.
            del finished[: len(ids)]

    async def _attempt(self, service: Service, delivery: Delivery, finished: list[str]) -> None:
        event_id = delivery.event_id or json.loads(delivery.event)["id"]
        problem = await self.client.deliver(
            service.url, service.secret, event_id, render(service, delivery.event)
        )
        if not problem:
            self.delivered += 1
            finished.append(delivery.entry_id)
            return
        self.failed_attempts += 1
        now = time.time()
        retry_at = now + backoff(delivery.attempts, self.settings)
        if retry_at - delivery.first_at > self.settings.retry_horizon:
            log.warning(
                "event %s to %s dead-lettered after %d attempts: %s",
                event_id,
                service.name,
                delivery.attempts + 1,
                problem,
            )
            await self.queue.dead_letter(service.name, delivery)
        else:
            log.info(
                "event %s to %s failed (%s); retry in %.1fs",
                event_id,
                service.name,
                problem,
                retry_at - now,
            )
            await self.queue.retry_at(service.name, delivery, retry_at)
