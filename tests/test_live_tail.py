"""The live view's one reader of the event logs: each stream gets the events of its numbers
appended after it subscribed, a stream that falls behind is told to read again, and all
end at a stop. On the real Redis and the embedded store alike."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from redis.asyncio import Redis

import bot.api.live_tail as live_tail
from bot.api.live_tail import RESYNC, STOP, EventTail
from stores.events import EventLog
from stores.redis import Keys
from tests.test_stores_events import put

A, B = "wa:1", "sms:+1"


def body(event_id: str) -> str:
    return json.dumps({"id": event_id})


async def next_ids(queue: asyncio.Queue[live_tail.Item], count: int) -> list[str]:
    found = []
    for _ in range(count):
        item = await asyncio.wait_for(queue.get(), 5)
        found.append(item if isinstance(item, str) else item.event_id)
    return found


async def test_each_stream_gets_its_numbers_events_from_when_it_subscribed(
    store: Redis, prefix: str
) -> None:
    log = EventLog(store, Keys(prefix))
    await log.append([(B, "evt_old", body("evt_old"))])
    tail = EventTail(log, poll=0.01)
    on_a = await tail.subscribe([A])
    try:
        await check_scopes(log, tail, on_a)
    finally:
        await tail.stop()
    assert await next_ids(on_a, 1) == [STOP]


async def check_scopes(log: EventLog, tail: EventTail, on_a: asyncio.Queue[live_tail.Item]) -> None:
    await log.append([(A, "evt_1", body("evt_1")), (B, "evt_2", body("evt_2"))])
    await log.append([("", "evt_3", body("evt_3"))])  # about a profile: for everyone
    # two logs: in the one order of the logs, where one millisecond goes by number
    assert sorted(await next_ids(on_a, 2)) == ["evt_1", "evt_3"]
    on_b = await tail.subscribe([B])  # a number the tail did not read before
    await log.append([(B, "evt_4", body("evt_4")), (A, "evt_5", body("evt_5"))])
    assert await next_ids(on_b, 1) == ["evt_4"]  # neither evt_old nor evt_2, from before
    assert await next_ids(on_a, 1) == ["evt_5"]
    tail.unsubscribe(on_b)


async def test_a_stream_that_falls_behind_reads_again(store: Redis, prefix: str) -> None:
    log = EventLog(store, Keys(prefix))
    tail = EventTail(log, poll=0.01)
    queue = await tail.subscribe([A])
    try:
        for index in range(live_tail.BACKLOG + 5):
            live_tail._offer(queue, f"evt_{index}")
        # what was waiting is dropped for one "read again"; what comes after follows it
        expected = [RESYNC] + [f"evt_{i}" for i in range(live_tail.BACKLOG + 1, 1005)]
        assert await next_ids(queue, queue.qsize()) == expected
    finally:
        await tail.stop()


async def until(queue: asyncio.Queue[live_tail.Item], last: str) -> list[str]:
    """What the stream gets, up to the event ``last``."""
    found: list[str] = []
    while last not in found:
        found += await next_ids(queue, 1)
    return found


async def test_a_number_a_stream_adds_is_read_from_then(store: Redis, prefix: str) -> None:
    """Added by a rescope, or followed again after every stream left it: from then on,
    nothing of before, though it shares a millisecond with what the tail read."""
    keys = Keys(prefix)
    tail = EventTail(EventLog(store, keys), poll=0.01)
    on_a = await tail.subscribe([A])
    ms = int(time.time() * 1000)
    try:
        await put(store, keys, A, f"{ms}-0", "evt_a")
        assert await until(on_a, "evt_a") == ["evt_a"]
        await put(store, keys, "wa:2", f"{ms}-0", "evt_before")  # sorts after A
        await tail.rescope(on_a, [A, "wa:2"])
        await put(store, keys, "wa:2", f"{ms}-1", "evt_since")
        assert await until(on_a, "evt_since") == ["evt_since"]
        on_b = await tail.subscribe([B])
        await put(store, keys, B, f"{ms}-0", "evt_b1")
        assert await until(on_b, "evt_b1") == ["evt_b1"]
        tail.unsubscribe(on_b)
        await put(store, keys, B, f"{ms}-1", "evt_b2")  # while no stream follows B
        on_b = await tail.subscribe([B])
        await put(store, keys, B, f"{ms}-2", "evt_b3")
        assert await until(on_b, "evt_b3") == ["evt_b3"]
    finally:
        await tail.stop()


async def test_events_read_a_page_at_a_time_are_each_handed_on_once(
    store: Redis, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(live_tail, "PAGE", 2)
    keys = Keys(prefix)
    # polls far enough apart that the appends are mostly read together, a page at a time
    tail = EventTail(EventLog(store, keys), poll=0.2)
    queue = await tail.subscribe([A, B])
    ms = int(time.time() * 1000)
    try:
        for seq in range(4):
            for number in (A, B):
                await put(store, keys, number, f"{ms}-{seq}", f"evt_{number}_{seq}")
        found: list[str] = []
        while len(found) < 8:
            found += await next_ids(queue, 1)
        # each once, each log's in its order (a poll may come between two appends)
        for number in (A, B):
            mine = [event_id for event_id in found if event_id.startswith(f"evt_{number}_")]
            assert mine == [f"evt_{number}_{seq}" for seq in range(4)]
    finally:
        await tail.stop()
