"""In a Redis outage ``/metrics`` answered 200 and left out the store's gauges (the
backlogs, the dead letters, the fan-out queues) with no other sign: an alert on a backlog
went silent rather than firing, and nothing said the store was out of reach.
``switchboard_store_up`` says it: 1 when the store answered the scrape's reads, 0 when it
did not."""

from __future__ import annotations

from bot.core.metrics import Meters
from bot.http.metrics import Metrics
from stores.deliveries import DeliveryQueue
from stores.notifications import NotificationStore
from stores.redis import Keys, Redis, connect
from stores.streams import InboundLog, ShardedStream
from tests.botprocess import free_port


def metrics_on(redis: Redis) -> Metrics:
    keys = Keys("sb:test:")
    return Metrics(
        Meters(),
        (InboundLog(redis, keys, 2), ShardedStream(redis, keys, 2, "outbox")),
        NotificationStore(redis, keys),
        DeliveryQueue(redis, keys),
        lambda: ["crm"],
    )


async def test_the_store_s_state_is_a_gauge(redis_url: str) -> None:
    down = connect(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    up = connect(redis_url)
    try:
        out = (await metrics_on(down).exposition()).decode()
        fine = (await metrics_on(up).exposition()).decode()
    finally:
        await down.aclose()
        await up.aclose()
    assert "\nswitchboard_store_up 0.0\n" in out and "switchboard_outbox_backlog" not in out
    assert "\nswitchboard_store_up 1.0\n" in fine and "\nswitchboard_outbox_backlog " in fine
