"""What ``/metrics`` shows: this process's counters, and what the store holds now (the dead
letters waiting), which every process sees alike."""

from __future__ import annotations

from collections.abc import Callable

from bot.core.couriers import Couriers
from bot.core.ingest import Ingestor
from bot.core.pipeline import Pipeline
from bot.core.workers import ShardWorkers
from bot.outreach.scheduler import Scheduler
from stores.notifications import NotificationStore
from stores.redis import RoundTrips
from stores.streams import ShardedStream


class Metrics:
    """Reads the parts' counters when asked; it keeps none of its own."""

    def __init__(
        self,
        ingestor: Ingestor,
        pipeline: Pipeline,
        couriers: Couriers,
        workers: ShardWorkers,
        scheduler: Scheduler,
        shards: tuple[ShardedStream, ShardedStream],
        notifications: NotificationStore,
        working: Callable[[], bool],
    ) -> None:
        self.ingestor = ingestor
        self.pipeline = pipeline
        self.couriers = couriers
        self.workers = workers
        self.scheduler = scheduler
        self.inbound, self.outbox = shards
        self.notifications = notifications
        self.working = working
        """Whether the workers run in this process (not in an admin command)."""

    def counters(self) -> dict[str, int]:
        counters = {
            "inbound_accepted_total": self.ingestor.accepted,
            "inbound_duplicates_total": self.ingestor.duplicates,
            "redis_commands_total": RoundTrips.commands,
            "redis_round_trips_total": RoundTrips.round_trips,
        }
        if self.working():
            counters["pipeline_processed_total"] = self.pipeline.processed
            counters["fanout_delivered_total"] = self.couriers.delivered
            counters["fanout_failed_attempts_total"] = self.couriers.failed_attempts
            counters["fanout_dead_lettered_total"] = self.couriers.dead_lettered
            for kind in ("inbound", "outbox"):
                counters[f"{kind}_dead_lettered_total"] = self.workers.dead_lettered[kind]
            counters["notifications_dead_lettered_total"] = self.scheduler.dead_lettered
        return counters

    async def gauges(self) -> dict[str, int]:
        """What the store holds now, shared by every process: the dead letters waiting."""
        return {
            "inbound_dead_letters": await self.inbound.dead_letter_count(),
            "outbox_dead_letters": await self.outbox.dead_letter_count(),
            "notifications_dead_letters": await self.notifications.set_aside_count(),
        }
