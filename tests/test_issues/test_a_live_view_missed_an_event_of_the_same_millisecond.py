"""The live view missed an event: one number's log got an entry in the millisecond the
tail had read another's up to, and it sorted before the tail's one cursor across the logs.
The same cursor gave a stream that subscribed to a new number that number's event from
before the subscription, when it shared that millisecond and sorted after by number.

Each log is now read on from its own last entry, and a number a stream adds from that
log's newest entry. Entries are written with chosen ids, in the log's layout, so the
millisecond is shared every run. On the real Redis and the embedded store alike."""

from __future__ import annotations

import time

from redis.asyncio import Redis

from bot.api.live_tail import EventTail
from stores.events import EventLog
from stores.redis import Keys
from tests.test_live_tail import until
from tests.test_stores_events import put

A = "wa:1"
EARLIER, LATER = "sms:+1", "wa:2"
"""Numbers that sort before and after ``A``: within one millisecond, the one order of the
logs goes by number."""


async def test_an_event_of_the_millisecond_read_up_to_in_another_log_is_not_missed(
    store: Redis, prefix: str
) -> None:
    keys = Keys(prefix)
    tail = EventTail(EventLog(store, keys), poll=0.01)
    queue = await tail.subscribe([A, EARLIER])
    ms = int(time.time() * 1000)
    try:
        await put(store, keys, A, f"{ms}-0", "evt_a")
        assert await until(queue, "evt_a") == ["evt_a"]  # the tail read A up to ms-0
        await put(store, keys, EARLIER, f"{ms}-0", "evt_earlier")
        await put(store, keys, A, f"{ms}-1", "evt_after")
        assert await until(queue, "evt_after") == ["evt_earlier", "evt_after"]
    finally:
        await tail.stop()


async def test_a_new_number_s_event_of_that_millisecond_from_before_is_not_given(
    store: Redis, prefix: str
) -> None:
    keys = Keys(prefix)
    tail = EventTail(EventLog(store, keys), poll=0.01)
    on_a = await tail.subscribe([A])
    ms = int(time.time() * 1000)
    try:
        await put(store, keys, A, f"{ms}-0", "evt_a")
        assert await until(on_a, "evt_a") == ["evt_a"]  # the tail read A up to ms-0
        await put(store, keys, LATER, f"{ms}-0", "evt_before")
        on_later = await tail.subscribe([LATER])  # a number the tail did not read
        await put(store, keys, LATER, f"{ms}-1", "evt_since")
        assert await until(on_later, "evt_since") == ["evt_since"]
    finally:
        await tail.stop()
