"""The shared sending rate spaced its slots in whole milliseconds, rounded: 80 a second
(WhatsApp's default tier) became one send every 12 ms, 83 a second, past the tier; 30 a
second (Telegram's bulk limit) 30.3; and no tier could go past 1,000 a second, one a
millisecond. A second of slots now holds as many sends as the tier, to the microsecond."""

from __future__ import annotations

import time

import pytest
from redis.asyncio import Redis

from stores.rates import SharedRate
from stores.redis import Keys


@pytest.mark.parametrize("per_second", [80.0, 30.0, 2000.0, 0.5])
async def test_a_second_of_slots_holds_the_tier_and_no_more(
    store: Redis, prefix: str, per_second: float
) -> None:
    rate = SharedRate(store, Keys(prefix))
    sends = max(int(per_second), 1)
    started = time.monotonic()
    first = await rate.reserve("wa:1", per_second)
    for _ in range(sends):
        last = await rate.reserve("wa:1", per_second)
    elapsed = time.monotonic() - started
    # The last slot comes ``sends`` intervals after the first: its delay, counted from its
    # own reservation, plus the time between the two reservations: at most ``elapsed``,
    # and less only by the first call's way there and the last one's way back (5 ms on a
    # busy machine; the rounding this guards against was 40 ms short over 80 sends).
    assert first == 0
    span = sends / per_second
    assert last + elapsed >= span - 0.005, "more sends than the tier fit in the span"
    assert last + elapsed <= span + 0.2, "fewer sends than the tier"
