"""The event log: appended once per event, read in one order across numbers after any
event, trimmed to its window, and rewritten in place by an erasure.

Every test takes the ``store`` fixture, so each runs against the real Redis and the
embedded store alike.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable

from redis.asyncio import Redis

from stores.events import EventLog, Position, Tailed
from stores.redis import Keys
from tests.test_notifications import until

A, B = "wa:1", "wa:2"
S = "sms:+1"


def body(event_id: str, text: str = "hi") -> str:
    return json.dumps({"id": event_id, "data": {"text": text}})


async def put(store: Redis, keys: Keys, number: str, entry_id: str, event_id: str) -> None:
    """An event appended with a chosen entry id, as the event log lays it out."""
    await store.xadd(keys.events(number), {"i": event_id}, id=entry_id)
    await store.set(keys.event(number, event_id), f"{entry_id} {body(event_id)}")


async def now_ms(store: Redis) -> int:
    """The store's clock, which gives the entries their ids, in milliseconds."""
    seconds, micros = await store.time()
    return int(seconds) * 1000 + int(micros) // 1000


async def test_events_are_read_in_order_across_numbers(store: Redis, prefix: str) -> None:
    """Each number's in the order appended; across numbers by the time of the append (to
    the millisecond; within one, by number), and a walk page by page reads each once."""
    log = EventLog(store, Keys(prefix))
    for index in range(6):
        await log.append([(A if index % 2 else B, f"evt_{index}", body(f"evt_{index}"))])
    read = await log.read([A, B], None, 10)
    assert sorted(read, key=lambda event: event.position) == read
    assert [event.event_id for event in read if event.position.number == A] == [
        "evt_1",
        "evt_3",
        "evt_5",
    ]
    assert {event.event_id for event in read} == {f"evt_{index}" for index in range(6)}
    assert json.loads(read[0].body)["id"] == read[0].event_id
    walked, after = [], None
    while page := await log.read([A, B], after, 4 if after is None else 1):
        walked += page
        after = await log.locate([A, B], page[-1].event_id)
        assert after == page[-1].position
    assert walked == read
    assert [event.event_id for event in await log.read([A], None, 10)] == [
        "evt_1",
        "evt_3",
        "evt_5",
    ]


async def test_an_event_is_appended_once(store: Redis, prefix: str) -> None:
    log = EventLog(store, Keys(prefix))
    await log.append([(A, "evt_1", body("evt_1"))])
    await log.append([(A, "evt_1", body("evt_1")), (A, "evt_2", body("evt_2"))])
    assert [event.event_id for event in await log.read([A], None, 10)] == ["evt_1", "evt_2"]


async def append_old(store: Redis, keys: Keys, number: str, event_id: str, raw: str) -> str:
    """An event as the log's old layout appended it: its place and body in a hash."""
    entry_id = await store.xadd(keys.events(number), {"i": event_id})
    await store.hset(keys.event(number, event_id), mapping={"s": entry_id, "b": raw})
    await store.expire(keys.event(number, event_id), 3600)
    return str(entry_id)


async def stored(store: Redis, keys: Keys, number: str) -> str:
    """Everything a number's log keeps, its stream and its events' keys, as one text."""
    kept = [str(await store.xrange(keys.events(number)))]
    async for key in store.scan_iter(match=keys.events(number) + ":*"):
        is_hash = await store.type(key) == "hash"
        kept.append(str(await store.hgetall(key) if is_hash else await store.get(key)))
    return "\n".join(kept)


async def test_an_append_redone_is_not_appended_again(store: Redis, prefix: str) -> None:
    """The work that made an event is redone after a crash: its log holds it once, and
    nothing of the second try stays in the stream."""
    keys = Keys(prefix)
    log = EventLog(store, keys)
    await log.append([(A, "evt_1", body("evt_1"))])
    first = await log.locate([A], "evt_1")
    for _ in range(3):
        await log.append([(A, "evt_1", body("evt_1")), (A, "evt_2", body("evt_2"))])
    assert [event.event_id for event in await log.read([A], None, 10)] == ["evt_1", "evt_2"]
    assert await store.xlen(keys.events(A)) == 2
    assert await log.locate([A], "evt_1") == first


async def test_events_of_the_old_layout_are_read_located_and_appended_once(
    store: Redis, prefix: str
) -> None:
    """Events appended before the layout changed are read, found and kept once, among
    the new ones, until they leave with the window."""
    keys = Keys(prefix)
    log = EventLog(store, keys)
    old = await append_old(store, keys, A, "evt_old", body("evt_old", "before"))
    await log.append([(A, "evt_new", body("evt_new", "after"))])
    await log.append([(A, "evt_old", body("evt_old", "before"))])  # redone after the upgrade
    read = await log.read([A], None, 10)
    assert [(event.event_id, event.body) for event in read] == [
        ("evt_old", body("evt_old", "before")),
        ("evt_new", body("evt_new", "after")),
    ]
    assert await log.locate([B, A], "evt_old") == Position.of(old, A)
    assert await log.read([A], Position.of(old, A), 10) == read[1:]
    assert await log.read([A], await log.locate([A], "evt_new"), 10) == []
    await store.delete(keys.event(A, "evt_old"))  # as its TTL would
    assert [event.event_id for event in await log.read([A], None, 10)] == ["evt_new"]
    assert await log.locate([A], "evt_old") is None


async def test_entries_of_one_id_in_two_logs_are_each_read_once(store: Redis, prefix: str) -> None:
    keys = Keys(prefix)
    log = EventLog(store, keys)
    for number, event_id in ((A, "evt_a"), (B, "evt_b")):
        await store.xadd(keys.events(number), {"i": event_id}, id="1000-0")
        await store.set(keys.event(number, event_id), f"1000-0 {body(event_id)}")
    first = await log.read([A, B], None, 1)
    assert [event.event_id for event in first] == ["evt_a"]
    assert first[0].position == Position(1000, 0, A)
    rest = await log.read([A, B], first[0].position, 5)
    assert [event.event_id for event in rest] == ["evt_b"]


async def test_an_unknown_event_is_located_nowhere(store: Redis, prefix: str) -> None:
    log = EventLog(store, Keys(prefix))
    await log.append([(A, "evt_1", body("evt_1"))])
    assert await log.locate([A, B], "evt_nope") is None
    assert await log.locate([B], "evt_1") is None


async def test_events_leave_with_their_window(store: Redis, prefix: str) -> None:
    keys = Keys(prefix)
    log = EventLog(store, keys, retention=3600)
    await log.append([(A, "evt_1", body("evt_1"))])
    assert 3500 < await store.ttl(keys.event(A, "evt_1")) <= 3600
    await store.delete(keys.event(A, "evt_1"))  # as its TTL would
    assert await log.read([A], None, 10) == []


async def test_a_scrub_rewrites_the_events_that_name_a_needle(store: Redis, prefix: str) -> None:
    keys = Keys(prefix)
    log = EventLog(store, keys)
    await log.append([(A, "evt_1", body("evt_1", "c_ann")), (A, "evt_2", body("evt_2", "c_bob"))])
    rewritten = await log.scrub([A, B], ["c_ann"], lambda raw: raw.replace("c_ann", "erased"))
    assert rewritten == 1
    bodies = [event.body for event in await log.read([A], None, 10)]
    assert bodies == [body("evt_1", "erased"), body("evt_2", "c_bob")]
    assert await store.ttl(keys.event(A, "evt_1")) > 0
    assert "c_ann" not in await stored(store, keys, A)
    assert await log.locate([A], "evt_1") == (await log.read([A], None, 1))[0].position


async def test_a_scrub_leaves_nothing_of_an_old_layout_body(store: Redis, prefix: str) -> None:
    keys = Keys(prefix)
    log = EventLog(store, keys)
    old = await append_old(store, keys, A, "evt_1", body("evt_1", "c_ann"))
    await log.append([(A, "evt_2", body("evt_2", "c_ann"))])
    rewritten = await log.scrub([A], ["c_ann"], lambda raw: raw.replace("c_ann", "erased"))
    assert rewritten == 2
    bodies = [event.body for event in await log.read([A], None, 10)]
    assert bodies == [body("evt_1", "erased"), body("evt_2", "erased")]
    assert "c_ann" not in await stored(store, keys, A)
    assert 0 < await store.ttl(keys.event(A, "evt_1")) <= 3600
    assert await log.locate([A], "evt_1") == Position.of(old, A)


async def test_each_log_is_read_after_its_own_entry(store: Redis, prefix: str) -> None:
    """An entry appended to a log after another log was read past its id, in the same
    millisecond, is read: each log reads on from its own place."""
    keys = Keys(prefix)
    assert S < A
    log = EventLog(store, keys)
    await put(store, keys, A, "1000-0", "evt_a1")
    first = await log.read_each({A: "0-0", S: "0-0"}, 10)
    assert [event.event_id for event in first.events] == ["evt_a1"]
    assert first.reached == {A: "1000-0", S: "0-0"} and not first.more
    await put(store, keys, S, "1000-0", "evt_s1")  # sorts before evt_a1 in the one order
    await put(store, keys, A, "1000-1", "evt_a2")
    then = await log.read_each(first.reached, 10)
    assert [event.event_id for event in then.events] == ["evt_s1", "evt_a2"]
    assert [event.position for event in then.events] == [
        Position(1000, 0, S),
        Position(1000, 1, A),
    ]
    assert json.loads(then.events[0].body)["id"] == "evt_s1"
    assert then.reached == {A: "1000-1", S: "1000-0"}
    assert (await log.read_each(then.reached, 10)).events == []
    assert await log.read_each({}, 10) == Tailed([], {}, more=False)


async def test_a_page_cut_at_its_limit_moves_each_log_only_past_what_it_gives(
    store: Redis, prefix: str
) -> None:
    keys = Keys(prefix)
    log = EventLog(store, keys)
    for index in range(5):
        await put(store, keys, A, f"2000-{index}", f"evt_a{index}")
        await put(store, keys, B, f"2000-{index}", f"evt_b{index}")
    everything = await log.read_each({A: "0-0", B: "0-0"}, 100)
    assert len(everything.events) == 10 and not everything.more
    assert sorted(everything.events, key=lambda event: event.position) == everything.events
    page = await log.read_each({A: "0-0", B: "0-0"}, 3)
    assert [event.event_id for event in page.events] == ["evt_a0", "evt_b0", "evt_a1"]
    assert page.reached == {A: "2000-1", B: "2000-0"} and page.more
    walked, reached, more = [], {A: "0-0", B: "0-0"}, True
    while more:
        page = await log.read_each(reached, 3)
        walked += page.events
        reached, more = page.reached, page.more
    assert walked == everything.events
    assert reached == {A: "2000-4", B: "2000-4"}


async def test_a_log_is_read_past_its_events_that_left_with_the_window(
    store: Redis, prefix: str
) -> None:
    keys = Keys(prefix)
    log = EventLog(store, keys)
    await put(store, keys, A, "3000-0", "evt_1")
    await put(store, keys, A, "3000-1", "evt_2")
    await store.delete(keys.event(A, "evt_2"))  # as its TTL would, before the trim
    page = await log.read_each({A: "0-0"}, 10)
    assert [event.event_id for event in page.events] == ["evt_1"]
    assert page.reached == {A: "3000-1"}


async def test_newest_is_where_reading_each_log_from_now_on_starts(
    store: Redis, prefix: str
) -> None:
    log = EventLog(store, Keys(prefix))
    assert await log.newest([]) == {}
    assert await log.newest([A, B]) == {A: "0-0", B: "0-0"}
    await log.append([(A, "evt_1", body("evt_1"))])
    newest = await log.newest([A, B])
    assert newest[B] == "0-0"
    assert newest[A] == (await log.read([A], None, 10))[-1].position.entry_id
    assert (await log.read_each(newest, 10)).events == []
    await log.append([(B, "evt_2", body("evt_2")), (A, "evt_3", body("evt_3"))])
    page = await log.read_each(newest, 10)
    assert sorted(event.event_id for event in page.events) == ["evt_2", "evt_3"]


async def test_a_settled_read_gives_only_what_no_later_append_can_come_before(
    store: Redis, prefix: str
) -> None:
    """The entries of a millisecond that is not over yet wait for it to be."""
    keys = Keys(prefix)
    log = EventLog(store, keys)
    await log.append([(A, "evt_past", body("evt_past"))])
    await put(store, keys, A, f"{await now_ms(store) + 300}-0", "evt_soon")

    async def ids(settled: bool) -> list[str]:
        return [event.event_id for event in await log.read([A], None, 10, settled=settled)]

    await until(lambda: ids(True), 5, "the append's millisecond to be over")
    assert await ids(True) == ["evt_past"]
    assert await ids(False) == ["evt_past", "evt_soon"]
    await until(lambda: _has(ids(True), "evt_soon"), 5, "the entry's millisecond to be over")
    assert await ids(True) == ["evt_past", "evt_soon"]


async def _has(found: Awaitable[list[str]], event_id: str) -> bool:
    return event_id in await found
