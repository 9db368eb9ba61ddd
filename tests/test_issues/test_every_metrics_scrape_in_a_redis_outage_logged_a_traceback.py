"""Each scrape of ``/metrics`` while Redis was down logged a whole traceback.

As an operator saw it: Prometheus scrapes every few seconds; during a Redis outage each
scrape put a warning with a multi-frame traceback in the log ("could not read the
store's gauges"), where README says a store failure is one line every few seconds, with
a count, never a traceback each time. The meters are still served.
"""

from __future__ import annotations

import logging

import pytest

from bot.core.metrics import Meters
from bot.http.metrics import Metrics
from stores.deliveries import DeliveryQueue
from stores.notifications import NotificationStore
from stores.redis import Keys, connect
from stores.streams import InboundLog, ShardedStream
from tests.botprocess import free_port


async def test_an_outage_is_a_line_every_few_seconds(caplog: pytest.LogCaptureFixture) -> None:
    down = connect(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    keys = Keys("sb:test:")
    metrics = Metrics(
        Meters(),
        (InboundLog(down, keys, 2), ShardedStream(down, keys, 2, "outbox")),
        NotificationStore(down, keys),
        DeliveryQueue(down, keys),
        lambda: ["crm"],
    )
    caplog.set_level(logging.INFO, logger="bot.http.metrics")
    try:
        for _ in range(6):
            assert b"switchboard_" in await metrics.exposition()
    finally:
        await down.aclose()
    said = [r for r in caplog.records if r.name == "bot.http.metrics"]
    assert len(said) == 1, said
    assert not said[0].exc_info and "the store failed" in said[0].getMessage()
