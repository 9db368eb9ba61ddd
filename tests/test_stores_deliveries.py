"""Store contracts, part three: per-service delivery queues, retries and dead letters.

Every test takes the ``store`` fixture, so each runs against the real Redis and the
embedded store alike (see ``test_stores.py``).
"""

from __future__ import annotations

import asyncio
import json

import pytest
from redis.asyncio import Redis

from stores.deliveries import Delivery, DeliveryQueue, Outcomes
from stores.redis import Keys
from stores.streams import GROUP

SERVICE = "support"
T0 = 1_700_000_000.5


def _event(n: int) -> str:
    # Non-ASCII and slashes survive a round trip through Lua's cjson too.
    return json.dumps({"id": f"evt_{n}", "type": "message.inbound", "text": "héllo / ünïcode"})


async def _queue(queue: DeliveryQueue, *events: str, service: str = SERVICE) -> None:
    async with queue.redis.pipeline(transaction=False) as pipe:
        for event in events:
            queue.queue(pipe, service, event, T0)
        await pipe.execute()


async def _read(
    queue: DeliveryQueue, service: str = SERVICE, consumer: str = "worker-a", count: int = 10
) -> list[Delivery]:
    taken = await queue.exchange({}, {service: count}, consumer)
    assert not taken.failed
    return taken.deliveries.get(service, [])


async def _settle(queue: DeliveryQueue, outcomes: Outcomes, service: str = SERVICE) -> None:
    taken = await queue.exchange({service: outcomes}, {}, "worker-a")
    assert not taken.failed


async def _move_due(queue: DeliveryQueue, now: float, limit: int = 500) -> int:
    return (await queue.move_due([SERVICE], now, limit))[SERVICE].moved


async def _reclaim(
    queue: DeliveryQueue, consumer: str, min_idle_ms: int, count: int = 100
) -> list[Delivery]:
    taken = await queue.reclaim({SERVICE: count}, consumer, min_idle_ms)
    assert not taken.failed
    return taken.deliveries.get(SERVICE, [])


async def _ready(store: Redis, prefix: str, *services: str) -> DeliveryQueue:
    queue = DeliveryQueue(store, Keys(prefix))
    for service in services or (SERVICE,):
        await queue.ensure_group(service)
    return queue


async def test_queued_events_are_read_with_no_attempts_yet(store: Redis, prefix: str) -> None:
    queue = await _ready(store, prefix)
    await _queue(queue, _event(1), _event(2))
    deliveries = await _read(queue)
    assert [(d.event, d.attempts, d.first_at) for d in deliveries] == [
        (_event(1), 0, T0),
        (_event(2), 0, T0),
    ]
    assert all(d.entry_id for d in deliveries)
    assert await _read(queue) == []


async def test_add_queues_each_delivery_for_its_service(store: Redis, prefix: str) -> None:
    queue = await _ready(store, prefix, "support", "crm")
    await queue.add(
        [("support", _event(1), "evt_1"), ("crm", _event(1), "evt_1"), ("support", _event(2), "")],
        T0,
    )
    support = await _read(queue, "support")
    assert [(d.event, d.event_id, d.attempts, d.first_at) for d in support] == [
        (_event(1), "evt_1", 0, T0),
        (_event(2), "", 0, T0),
    ]
    assert [d.event_id for d in await _read(queue, "crm")] == ["evt_1"]
    await queue.add([], T0)  # nothing to send costs nothing
    assert await queue.pending("support") == 2


async def test_ensure_group_is_idempotent(store: Redis, prefix: str) -> None:
    queue = await _ready(store, prefix)
    await queue.ensure_group(SERVICE)
    groups = await store.xinfo_groups(Keys(prefix).fanout(SERVICE))
    assert [group["name"] for group in groups] == [GROUP]


async def test_each_service_has_its_own_queue(store: Redis, prefix: str) -> None:
    queue = await _ready(store, prefix, "support", "crm")
    await _queue(queue, _event(1), service="support")
    assert await _read(queue, "crm") == []
    assert await queue.pending("crm") == 0
    assert len(await _read(queue, "support")) == 1


async def test_delivered_entries_are_removed(store: Redis, prefix: str) -> None:
    queue = await _ready(store, prefix)
    await _queue(queue, _event(1), _event(2))
    deliveries = await _read(queue)
    assert await queue.pending(SERVICE) == 2
    await _settle(queue, Outcomes(done=[d.entry_id for d in deliveries]))
    await _settle(queue, Outcomes())
    assert await queue.pending(SERVICE) == 0
    assert await _reclaim(queue, "worker-b", 0) == []


async def test_a_retry_is_scheduled_and_acknowledged(store: Redis, prefix: str) -> None:
    queue = await _ready(store, prefix)
    await _queue(queue, _event(1))
    [delivery] = await _read(queue)

    await _settle(queue, Outcomes(retries=[(delivery, T0 + 30)]))

    key = Keys(prefix).fanout(SERVICE)
    assert await store.xlen(key) == 0
    assert (await store.xpending(key, GROUP))["pending"] == 0
    assert await store.zcard(Keys(prefix).fanout(SERVICE, "retry")) == 1
    # A scheduled retry is still work to do.
    assert await queue.pending(SERVICE) == 1


async def test_move_due_moves_only_due_retries(store: Redis, prefix: str) -> None:
    queue = await _ready(store, prefix)
    await _queue(queue, _event(1), _event(2), _event(3))
    first, second, third = await _read(queue)
    await _settle(queue, Outcomes(retries=[(second, T0 + 20)]))
    await _settle(queue, Outcomes(retries=[(first, T0 + 10)]))
    await _settle(queue, Outcomes(retries=[(third, T0 + 99)]))

    assert await _move_due(queue, T0 + 5) == 0
    assert await _move_due(queue, T0 + 20) == 2

    moved = await _read(queue)
    # Due first goes first, and each carries the attempt it failed.
    assert [(d.event, d.attempts, d.first_at) for d in moved] == [
        (_event(1), 1, T0),
        (_event(2), 1, T0),
    ]
    assert await queue.pending(SERVICE) == 3
    assert await _move_due(queue, T0 + 20) == 0


async def test_move_due_respects_its_limit(store: Redis, prefix: str) -> None:
    queue = await _ready(store, prefix)
    await _queue(queue, _event(1), _event(2), _event(3))
    for delivery in await _read(queue):
        await _settle(queue, Outcomes(retries=[(delivery, T0)]))
    assert await _move_due(queue, T0, limit=2) == 2
    assert await _move_due(queue, T0, limit=2) == 1


async def test_attempts_grow_with_each_retry(store: Redis, prefix: str) -> None:
    queue = await _ready(store, prefix)
    await _queue(queue, _event(1))
    for attempt in range(1, 4):
        [delivery] = await _read(queue)
        assert delivery.attempts == attempt - 1
        await _settle(queue, Outcomes(retries=[(delivery, T0 + attempt)]))
        assert await _move_due(queue, T0 + attempt) == 1
    [delivery] = await _read(queue)
    # The first due time is kept, so the retry horizon is measured from the start.
    assert (delivery.attempts, delivery.first_at) == (3, T0)


async def test_dead_letters_are_listed(store: Redis, prefix: str) -> None:
    queue = await _ready(store, prefix)
    await _queue(queue, _event(1), _event(2))
    first, second = await _read(queue)
    await _settle(queue, Outcomes(dead=[Delivery(first.entry_id, first.event, 7, first.first_at)]))
    await _settle(queue, Outcomes(dead=[second]))

    dead = await queue.dead_letters(SERVICE)

    # A dead letter counts the attempt that failed last, as a retry does.
    assert [(d.event, d.attempts, d.first_at) for d in dead] == [
        (_event(1), 8, T0),
        (_event(2), 1, T0),
    ]
    key = Keys(prefix).fanout(SERVICE)
    assert await store.xlen(key) == 0
    assert (await store.xpending(key, GROUP))["pending"] == 0
    # Dead letters wait for an operator; they are not pending work.
    assert await queue.pending(SERVICE) == 0
    assert await queue.dead_letters("crm") == []
    await _queue(queue, _event(3))
    assert await queue.depths([SERVICE, "crm"]) == {SERVICE: (1, 2), "crm": (0, 0)}
    assert await queue.depths([]) == {}


async def test_replay_requeues_dead_letters_with_fresh_attempts(store: Redis, prefix: str) -> None:
    queue = await _ready(store, prefix)
    await _queue(queue, _event(1), _event(2))
    for delivery in await _read(queue):
        await _settle(queue, Outcomes(dead=[Delivery(delivery.entry_id, delivery.event, 5, T0)]))
    now = T0 + 3_600.123456

    assert await queue.replay_dead_letters(SERVICE, now) == 2

    assert await queue.dead_letters(SERVICE) == []
    replayed = await _read(queue)
    assert [(d.event, d.attempts) for d in replayed] == [(_event(1), 0), (_event(2), 0)]
    # Lua's cjson keeps 14 significant digits; sub-millisecond is plenty for a horizon.
    assert all(d.first_at == pytest.approx(now, abs=1e-3) for d in replayed)
    assert await queue.replay_dead_letters(SERVICE, now) == 0


async def test_reclaim_takes_only_idle_deliveries(store: Redis, prefix: str) -> None:
    queue = await _ready(store, prefix)
    await _queue(queue, _event(1), _event(2))
    taken = await _read(queue, consumer="crashed")

    # Still fresh: its holder may be working on it.
    assert await _reclaim(queue, "rescuer", 10_000) == []
    await asyncio.sleep(0.3)
    reclaimed = await _reclaim(queue, "rescuer", 150)

    assert [(d.entry_id, d.event) for d in reclaimed] == [(d.entry_id, d.event) for d in taken]
    pending = await store.xpending(Keys(prefix).fanout(SERVICE), GROUP)
    assert [c["name"] for c in pending["consumers"]] == ["rescuer"]
    # Reclaiming restarts the idle clock, so two rescuers do not both take it.
    assert await _reclaim(queue, "other", 150) == []


async def test_reclaim_respects_its_count(store: Redis, prefix: str) -> None:
    queue = await _ready(store, prefix)
    await _queue(queue, *(_event(n) for n in range(5)))
    await _read(queue, consumer="crashed")
    reclaimed = await _reclaim(queue, "rescuer", 0, count=3)
    assert [d.event for d in reclaimed] == [_event(n) for n in range(3)]


async def test_one_exchange_settles_and_takes_for_every_service(store: Redis, prefix: str) -> None:
    queue = await _ready(store, prefix, "support", "crm", "idle")
    await queue.add([("support", _event(1), "evt_1"), ("crm", _event(1), "evt_1")], T0)
    await queue.add([("support", _event(2), "evt_2"), ("crm", _event(2), "evt_2")], T0)
    taken = await queue.exchange({}, {"support": 1, "crm": 10, "idle": 10}, "worker-a")
    assert taken.failed == {}
    assert {name: [d.event_id for d in found] for name, found in taken.deliveries.items()} == {
        "support": ["evt_1"],
        "crm": ["evt_1", "evt_2"],
    }
    [first] = taken.deliveries["support"]
    crm_first, crm_second = taken.deliveries["crm"]

    settled = {
        "support": Outcomes(done=[first.entry_id]),
        "crm": Outcomes(retries=[(crm_first, T0 + 5)], dead=[crm_second]),
    }
    taken = await queue.exchange(settled, {"support": 10, "crm": 10}, "worker-a")
    assert [d.event_id for d in taken.deliveries["support"]] == ["evt_2"]
    assert "crm" not in taken.deliveries  # its two are a retry and a dead letter now
    assert await queue.pending("crm") == 1
    assert [d.event_id for d in await queue.dead_letters("crm")] == ["evt_2"]
    assert await queue.exchange({}, {}, "worker-a") == type(taken)()


async def test_a_broken_queue_leaves_the_others_their_turn(store: Redis, prefix: str) -> None:
    queue = await _ready(store, prefix, "support")
    # "lost" has a stream but no consumer group (its group was removed by hand, say).
    await queue.add([("support", _event(1), "evt_1"), ("lost", _event(1), "evt_1")], T0)

    taken = await queue.exchange({}, {"lost": 10, "support": 10}, "worker-a")

    assert [d.event_id for d in taken.deliveries["support"]] == ["evt_1"]
    assert set(taken.failed) == {"lost"} and "NOGROUP" in taken.failed["lost"]
    # A queue whose group went missing gets it back, and is read on the next turn.
    assert [d.event_id for d in await _read(queue, "lost")] == ["evt_1"]


async def test_move_due_tells_when_the_next_retry_is_due(store: Redis, prefix: str) -> None:
    queue = await _ready(store, prefix, "support", "crm")
    await _queue(queue, _event(1), _event(2))
    first, second = await _read(queue)
    await _settle(queue, Outcomes(retries=[(first, T0 + 10), (second, T0 + 20)]))

    due = await queue.move_due(["support", "crm"], T0 + 10)

    assert due["support"].moved == 1
    assert due["support"].next_at == pytest.approx(T0 + 20)
    assert (due["crm"].moved, due["crm"].next_at) == (0, None)
    assert await queue.move_due([], T0) == {}


def _about(n: int, conversation: str) -> str:
    data = {"conversation_id": conversation, "text": f"secret {n} / ünïcode"}
    return json.dumps({"id": f"evt_{n}", "type": "message.inbound", "data": data})


def _strip(event: str) -> str | None:
    return event.replace("secret", "gone") if "secret" in event else None


async def test_scrub_rewrites_a_delivery_wherever_it_waits(store: Redis, prefix: str) -> None:
    queue = await _ready(store, prefix)
    keys = Keys(prefix)
    events = [_about(n, "c_erased") for n in range(4)] + [_about(4, "c_kept")]
    await queue.add([(SERVICE, event, f"evt_{n}") for n, event in enumerate(events)], T0)
    taken, in_flight, retried, dead, kept = await _read(queue)
    await _settle(queue, Outcomes(retries=[(retried, T0 + 50)], dead=[dead]))
    unread = _about(5, "c_erased")
    await queue.add([(SERVICE, unread, "evt_5")], T0)

    assert await queue.scrub(SERVICE, ["c_erased"], _strip) == 5

    on_stream = await store.xrange(keys.fanout(SERVICE))
    assert sorted(fields["e"] for _, fields in on_stream) == sorted(
        [kept.event, *(event.replace("secret", "gone") for event in (*events[:2], unread))]
    )
    # The stripped ones are new entries, still to deliver; the old ones are nobody's now.
    assert on_stream[0][0] == kept.entry_id
    pending = await store.xpending_range(keys.fanout(SERVICE), GROUP, "-", "+", 10)
    assert [p["message_id"] for p in pending] == [kept.entry_id]
    [(item, score)] = await store.zrange(keys.fanout(SERVICE, "retry"), 0, -1, withscores=True)
    retry = Delivery.decode("", item)
    assert (retry.event, retry.attempts, score) == (_strip(retried.event), 1, T0 + 50)
    [letter] = await queue.dead_letters(SERVICE)
    assert (letter.event, letter.event_id) == (_strip(dead.event), "evt_3")

    # The old copy held in flight fails: it is not scheduled again, the new one goes out.
    await _settle(queue, Outcomes(retries=[(in_flight, T0 + 1)], dead=[taken]))
    assert await store.zcard(keys.fanout(SERVICE, "retry")) == 1
    assert len(await queue.dead_letters(SERVICE)) == 1
    fresh = await _read(queue, consumer="worker-b")
    assert sorted(d.event_id for d in fresh) == ["evt_0", "evt_1", "evt_5"]
    assert all("secret" not in d.event and d.attempts == 0 for d in fresh)
    # Nothing is left to strip, and what was stripped is not stripped twice.
    assert await queue.scrub(SERVICE, ["c_erased"], _strip) == 0


async def test_a_failed_delivery_taken_off_its_queue_is_not_retried(
    store: Redis, prefix: str
) -> None:
    queue = await _ready(store, prefix)
    await _queue(queue, _event(1), _event(2))
    first, second = await _read(queue)
    await store.xdel(Keys(prefix).fanout(SERVICE), first.entry_id, second.entry_id)
    await _settle(queue, Outcomes(retries=[(first, T0 + 1)], dead=[second]))
    assert await queue.pending(SERVICE) == 0
    assert await queue.dead_letters(SERVICE) == []
