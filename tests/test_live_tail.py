"""The live view's one reader of the event logs: each stream gets the events of its numbers
appended after it subscribed, a stream that falls behind is told to read again, and all
end at a stop. On the real Redis and the embedded store alike."""

from __future__ import annotations

import asyncio
import json

from redis.asyncio import Redis

import bot.api.live_tail as live_tail
from bot.api.live_tail import RESYNC, STOP, EventTail
from stores.events import EventLog
from stores.redis import Keys

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
