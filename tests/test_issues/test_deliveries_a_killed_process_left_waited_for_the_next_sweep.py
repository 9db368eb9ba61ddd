"""A bot killed with deliveries in flight left them pending under its name; another
process took them back only when it next looked at that service's queue: at once when
more events came for it, otherwise at its 30 s sweep. After a crash at the end of a burst,
acknowledged messages reached the service up to 45 s late (the crash test's 4 of 2,000,
past its wait). Deliveries a dead process left go once idle for the reclaim time
(three times the delivery timeout), quiet queue or not."""

from __future__ import annotations

import json
import time

import pytest
from redis.asyncio import Redis

from bot.config.settings import DeliverySettings
from bot.core import couriers
from stores.redis import Keys
from stores.streams import GROUP
from tests.conftest import BotFactory

DELIVERY = DeliverySettings(retry_base=0.05, retry_cap=0.5, timeout=0.5)
RECLAIM_AT_LEAST = 1.0
"""The reclaim time's floor, lowered from the shipped 5 s: a reclaim time of 1.5 s (three
times the delivery timeout), the 30 s sweep twenty times that."""
RECLAIM_SECONDS = max(DELIVERY.timeout * 3, RECLAIM_AT_LEAST)


async def test_a_delivery_left_in_flight_by_a_dead_process_goes_after_the_reclaim_time(
    make_bot: BotFactory, real_redis: Redis, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(couriers, "RECLAIM_AT_LEAST", RECLAIM_AT_LEAST)
    bot = await make_bot(delivery=DELIVERY)
    sink = bot.sinks["support"]
    stream = Keys(prefix).fanout("support")
    event = {
        "id": "evt_left_by_the_dead",
        "type": "conversation.closed",
        "timestamp": time.time(),
        "number": f"wa:{bot.phone_number_id}",
        "data": {"conversation_id": "c_left_by_the_dead"},
    }
    fields = {"e": json.dumps(event), "i": event["id"], "a": 0, "t": time.time()}
    async with real_redis.pipeline(transaction=True) as pipe:
        # Queued and taken by a process that dies before delivering it: this bot never
        # sees it as new, only as another consumer's, idle.
        pipe.xgroup_create(stream, GROUP, id="0", mkstream=True)
        pipe.xadd(stream, fields)
        pipe.xreadgroup(GROUP, "dead:1:abc", {stream: ">"}, count=1)
        await pipe.execute(raise_on_error=False)
    assert (await real_redis.xpending(stream, GROUP))["pending"] == 1
    # Idle for the reclaim time, then taken at the next reclaim, one reclaim time later at
    # worst (and 2 s for a loaded machine); the 30 s sweep is far past that.
    await sink.wait_for(
        lambda deliveries: any(d.event_id == event["id"] for d in deliveries),
        timeout=2.5 * RECLAIM_SECONDS + 2,
    )
