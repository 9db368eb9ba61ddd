"""What ``/metrics`` shows: the meters of this process (or of every worker, in the
multiprocess mode), then what the store holds now (queue depths and dead letters), which
every process sees alike."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator, Sequence

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from bot.core.metrics import Meters, multiprocess
from bot.core.retry import StoreFailureLine
from stores.deliveries import DeliveryQueue
from stores.notifications import NotificationStore
from stores.redis import is_store_fault
from stores.streams import ShardedStream

log = logging.getLogger(__name__)
GAUGE_SECONDS = 2.0
"""How long /metrics waits for the store's gauges; past it, the meters go without them."""


def _store_up(up: int) -> Metric:
    return _gauge(
        "store_up",
        f"1 when the store answered this scrape's reads of its gauges; 0 when it did not "
        f"(out of reach, or no answer in {GAUGE_SECONDS:g} s), and its gauges are left out",
        up,
    )


class _StoreSnapshot(Collector):
    """Gauges read from the store just before the scrape: one registry per scrape."""

    def __init__(self, gauges: Sequence[Metric]) -> None:
        self.gauges = gauges

    def collect(self) -> Iterator[Metric]:
        yield from self.gauges


class _EveryFamily(Collector):
    """The workers' meters added up (PROMETHEUS_MULTIPROC_DIR), and every family of this
    process's meters that none of them has a sample of yet, with its HELP and TYPE:
    alerts on a counter that is still 0 see it, as with one process."""

    def __init__(self, local: CollectorRegistry) -> None:
        self.local = local

    def collect(self) -> Iterator[Metric]:
        seen = set()
        for family in MultiProcessCollector(None).collect():
            seen.add(family.name)
            yield family
        for family in self.local.collect():
            if family.name not in seen:
                yield Metric(family.name, family.documentation, family.type, family.unit)


class Metrics:
    """Reads the meters and the store when asked; it keeps nothing of its own."""

    def __init__(
        self,
        meters: Meters,
        shards: tuple[ShardedStream, ShardedStream],
        notifications: NotificationStore,
        deliveries: DeliveryQueue,
        services: Callable[[], list[str]],
        detached: Callable[[], Awaitable[set[str]]] | None = None,
    ) -> None:
        self.meters = meters
        self.inbound, self.outbox = shards
        self.notifications = notifications
        self.deliveries = deliveries
        self.services = services
        """The services whose queues the fan-out follows."""
        self.detached = detached or _none_detached
        """The services detached from some number: the dead letters of one detached
        everywhere still wait for the operator."""
        self._gauges_failed = StoreFailureLine(
            log, "/metrics: could not read the store's gauges", "scrapes"
        )

    async def exposition(self) -> bytes:
        """The Prometheus text: the meters, then the store's gauges. The meters are read
        first, so that the scrape's own reads of the store count in the next one."""
        self.meters.count_store_commands()
        if multiprocess():
            registry = CollectorRegistry()
            registry.register(_EveryFamily(self.meters.registry))
            meters = generate_latest(registry)
        else:
            meters = generate_latest(self.meters.registry)
        try:
            async with asyncio.timeout(GAUGE_SECONDS):  # a stalled Redis answers nothing
                gauges = [*await self.store_gauges(), _store_up(1)]
        except Exception as error:  # the meters still tell; /readyz reports the store
            if is_store_fault(error) or isinstance(error, TimeoutError):
                self._gauges_failed.say(error)  # an outage: a line every few seconds
            else:
                log.exception("/metrics: could not read the store's gauges")
            # The store's gauges are left out, not shown as 0: this one says why.
            gauges = [_store_up(0)]
        snapshot = CollectorRegistry()
        snapshot.register(_StoreSnapshot(gauges))
        return meters + generate_latest(snapshot)

    async def store_gauges(self) -> list[Metric]:
        """The queues' depths and the dead letters waiting, as the store holds them now."""
        services = sorted(set(self.services()) | await self.detached())
        (
            inbound_backlog,
            outbox_backlog,
            inbound_dead,
            outbox_dead,
            notifications_dead,
            depths,
        ) = await asyncio.gather(
            self.inbound.backlog(),
            self.outbox.backlog(),
            self.inbound.dead_letter_count(),
            self.outbox.dead_letter_count(),
            self.notifications.set_aside_count(),
            self.deliveries.depths(services),
        )
        gauges = [
            _gauge("inbound_backlog", "Inbound entries not processed yet", inbound_backlog),
            _gauge("outbox_backlog", "Sends queued in the outbox, not done yet", outbox_backlog),
            _gauge("inbound_dead_letters", "Inbound entries in the dead letters", inbound_dead),
            _gauge("outbox_dead_letters", "Outbox entries in the dead letters", outbox_dead),
            _gauge("notifications_dead_letters", "Notification runs set aside", notifications_dead),
        ]
        queued = GaugeMetricFamily(
            "switchboard_fanout_queue",
            "Events queued for a service or waiting for a retry",
            labels=["service"],
        )
        dead = GaugeMetricFamily(
            "switchboard_fanout_dead_letters",
            "Events in a service's dead letters",
            labels=["service"],
        )
        for service, (waiting, dead_letters) in sorted(depths.items()):
            queued.add_metric([service], waiting)
            dead.add_metric([service], dead_letters)
        return [*gauges, queued, dead]


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(f"switchboard_{name}", documentation, value=value)


async def _none_detached() -> set[str]:
    return set()
