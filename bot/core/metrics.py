"""Every metric the runtime records, defined once: counters and histograms with HELP and
TYPE, recorded by the parts that do the work and shown by ``/metrics`` (bot/http/metrics.py).

With ``PROMETHEUS_MULTIPROC_DIR`` set (``serve --workers N`` sets it), prometheus_client
keeps each process's values in files there, and one scrape adds up every worker's."""

from __future__ import annotations

import asyncio
import os

from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics

from stores.redis import RoundTrips

# A ``_created`` series per counter doubles the output, and the multiprocess mode has none:
# the output is the same with one worker or several.
disable_created_metrics()

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"

FAST = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
"""Seconds of work on our side: a webhook answered, a batch processed."""
CALLS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0)
"""Seconds of a call to someone else: a service's webhook, a channel's API."""
LAGS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 15.0, 60.0, 300.0, 3600.0)
"""Seconds from an event queued to its delivery, retries included."""
STORE_COUNTS_SECONDS = 1.0
"""How often the store's command counts are copied into the meters; a scrape copies them
too, so only other workers' counts can be this late."""


def multiprocess() -> bool:
    """Whether values go to PROMETHEUS_MULTIPROC_DIR, to be added up across processes."""
    return bool(os.environ.get(MULTIPROCESS_DIR))


class Meters:
    """The metrics of one runtime, in a registry of its own."""

    def __init__(self) -> None:
        self.registry = registry = CollectorRegistry()
        # Inbound: the webhooks and what they appended.
        self.webhook_seconds = Histogram(
            "switchboard_webhook_seconds",
            "Time to answer a channel's webhook, appending its messages durably first",
            ["channel", "status"],
            buckets=FAST,
            registry=registry,
        )
        self.inbound_accepted = Counter(
            "switchboard_inbound_accepted",
            "Messages and status updates appended to the inbound log",
            registry=registry,
        )
        self.inbound_duplicates = Counter(
            "switchboard_inbound_duplicates",
            "Messages and status updates refused as already seen (a provider's retry)",
            registry=registry,
        )
        # The pipeline and the shard workers.
        self.pipeline_processed = Counter(
            "switchboard_pipeline_processed",
            "Messages and status updates the pipeline processed",
            registry=registry,
        )
        self.pipeline_batch_seconds = Histogram(
            "switchboard_pipeline_batch_seconds",
            "Time to process one batch of an inbound shard",
            buckets=FAST,
            registry=registry,
        )
        self.inbound_dead_lettered = Counter(
            "switchboard_inbound_dead_lettered",
            "Inbound entries set aside in their shard's dead letters after their last attempt",
            registry=registry,
        )
        self.outbox_dead_lettered = Counter(
            "switchboard_outbox_dead_lettered",
            "Outbox entries set aside in their shard's dead letters after their last attempt",
            registry=registry,
        )
        # The fan-out.
        self.fanout_delivered = Counter(
            "switchboard_fanout_delivered",
            "Events delivered to a service",
            ["service"],
            registry=registry,
        )
        self.fanout_failed_attempts = Counter(
            "switchboard_fanout_failed_attempts",
            "Delivery attempts a service did not acknowledge; each is retried or dead-lettered",
            ["service"],
            registry=registry,
        )
        self.fanout_dead_lettered = Counter(
            "switchboard_fanout_dead_lettered",
            "Events set aside in a service's dead letters after their retry horizon",
            ["service"],
            registry=registry,
        )
        self.fanout_attempt_seconds = Histogram(
            "switchboard_fanout_attempt_seconds",
            "Time of one delivery attempt to a service, by outcome (delivered, failed)",
            ["service", "outcome"],
            buckets=CALLS,
            registry=registry,
        )
        self.fanout_lag_seconds = Histogram(
            "switchboard_fanout_lag_seconds",
            "Time from an event queued for a service to its delivery, retries included",
            ["service"],
            buckets=LAGS,
            registry=registry,
        )
        # Sends to customers.
        self.sends = Counter(
            "switchboard_sends",
            "Sends to customers by channel and what became of them (sent, failed, erased)",
            ["channel", "outcome"],
            registry=registry,
        )
        self.send_call_seconds = Histogram(
            "switchboard_send_call_seconds",
            "Time of one call to a channel's API, by outcome (sent, refused, timeout)",
            ["channel", "outcome"],
            buckets=CALLS,
            registry=registry,
        )
        # Notifications.
        self.notifications_dead_lettered = Counter(
            "switchboard_notifications_dead_lettered",
            "Notification runs set aside after their last attempt",
            registry=registry,
        )
        # The store.
        self.redis_commands = Counter(
            "switchboard_redis_commands",
            "Commands sent to Redis",
            registry=registry,
        )
        self.redis_round_trips = Counter(
            "switchboard_redis_round_trips",
            "Round trips to Redis; a pipeline is one",
            registry=registry,
        )
        self._counted = (0, 0)

    def count_store_commands(self) -> None:
        """Copy what the store's connections counted since the last copy into the meters:
        the connections count without knowing of any meter (stores/ is Redis only)."""
        commands, trips = RoundTrips.commands, RoundTrips.round_trips
        self.redis_commands.inc(max(0, commands - self._counted[0]))
        self.redis_round_trips.inc(max(0, trips - self._counted[1]))
        self._counted = (commands, trips)

    async def keep_store_commands(self) -> None:
        """Copy the store's command counts every STORE_COUNTS_SECONDS, until cancelled, so
        that another worker's scrape sees this process's too."""
        while True:
            self.count_store_commands()
            await asyncio.sleep(STORE_COUNTS_SECONDS)

    def value(self, name: str, **labels: str) -> float:
        """One sample of this process, e.g. ``value("switchboard_sends_total",
        channel="whatsapp", outcome="sent")``; 0 when it was never recorded."""
        return self.registry.get_sample_value(name, labels) or 0.0
