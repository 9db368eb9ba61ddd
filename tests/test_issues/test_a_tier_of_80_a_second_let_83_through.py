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
    # A slot a minute away first: the slots after it are chained from it, however slowly
    # this loop reserves them (on a loaded machine 2,000 reservations took longer than the
    # second they span, and the slots fell back to "now", as they should for a sender that
    # slow). What is measured is then the spacing of the slots alone.
    assert await rate.reserve("wa:1", 1 / 60) == 0
    before_first = time.monotonic()
    first = await rate.reserve("wa:1", per_second)
    after_first = time.monotonic()
    for _ in range(sends - 1):
        await rate.reserve("wa:1", per_second)
    before_last = time.monotonic()
    last = await rate.reserve("wa:1", per_second)
    after_last = time.monotonic()
    assert last > 0, "the slots caught up with the clock: the chain is not measured"
    # The last slot comes ``sends`` intervals after the first. Each delay is counted from
    # its own reservation, which Redis made somewhere within that call: the span is at
    # least the delays' difference plus the time between the end of the first call and
    # the start of the last, and at most that plus both calls' own durations.
    span = sends / per_second
    shortest = last - first + (before_last - after_first)
    longest = last - first + (after_last - before_first)
    # The rounding this guards against was 40 ms short over 80 sends, and 1,000 a second
    # at most (2,000 a second took 2 s).
    assert longest >= span - 0.005, "more sends than the tier fit in the span"
    assert shortest <= span + 0.2, "fewer sends than the tier"
