"""With ``serve --workers N``, ``/metrics`` left out the families nobody had counted yet.

As an operator saw it: a single process's scrape had 24 families, the workers' 22:
``switchboard_fanout_failed_attempts_total`` and ``switchboard_fanout_dead_lettered_total``
were missing until the first failure, so an alert on them saw "no data". README says
every family comes with its HELP and TYPE; the workers' scrape has each one too.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.core.metrics import MULTIPROCESS_DIR, Meters
from bot.http.metrics import Metrics
from stores.deliveries import DeliveryQueue
from stores.notifications import NotificationStore
from stores.redis import Keys, connect
from stores.streams import InboundLog, ShardedStream
from tests.conftest import REDIS_URL


async def test_every_family_is_in_the_workers_scrape(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    meters = Meters()
    single = {f.name for f in text_string_to_metric_families((await exposition(meters)).decode())}
    monkeypatch.setenv(MULTIPROCESS_DIR, str(tmp_path))  # the workers' files: none yet
    workers = {f.name for f in text_string_to_metric_families((await exposition(meters)).decode())}
    assert "switchboard_fanout_failed_attempts" in single
    assert single <= workers, single - workers


async def exposition(meters: Meters) -> bytes:
    redis = connect(REDIS_URL)
    keys = Keys("sb:test:families:")
    try:
        metrics = Metrics(
            meters,
            (InboundLog(redis, keys, 1), ShardedStream(redis, keys, 1, "outbox")),
            NotificationStore(redis, keys),
            DeliveryQueue(redis, keys),
            lambda: [],
        )
        return await metrics.exposition()
    finally:
        await redis.aclose()
