"""Store contracts, part three: per-service delivery queues, retries and dead letters.

Every test takes the ``store`` fixture, so each runs against the real Redis and the
embedded store alike (see ``test_stores.py``).
"""

from __future__ import annotations

import asyncio
import json

import pytest
from redis.asyncio import Redis

from stores.deliveries import Delivery, DeliveryQueue
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


async def _ready(store: Redis, prefix: str, *services: str) -> DeliveryQueue:
    queue = DeliveryQueue(store, Keys(prefix))
    for service in services or (SERVICE,):
        await queue.ensure_group(service)
    return queue


async def test_queued_events_are_read_with_no_attempts_yet(store: Redis, prefix: str) -> None:
    queue = await _ready(store, prefix)
    await _queue(queue, _event(1), _event(2))
    deliveries = await queue.read(SERVICE, "worker-a", count=10, block_ms=10)
    assert [(d.event, d.attempts, d.first_at) for d in deliveries] == [
        (_event(1), 0, T0),
        (_event(2), 0, T0),
    ]
    assert all(d.entry_id for d in deliveries)
    assert await queue.read(SERVICE, "worker-a", count=10, block_ms=10) == []


async def test_add_queues_each_delivery_for_its_service(store: Redis, prefix: str) -> None:
    queue = await _ready(store, prefix, "support", "crm")
    await queue.add(
        [("support", _event(1), "evt_1"), ("crm", _event(1), "evt_1"), ("support", _event(2), "")],
        T0,
    )
    support = await queue.read("support", "worker-a", count=10, block_ms=10)
    assert [(d.event, d.event_id, d.attempts, d.first_at) for d in support] == [
        (_event(1), "evt_1", 0, T0),
        (_event(2), "", 0, T0),
    ]
    assert [d.event_id for d in await queue.read("crm", "worker-a", 10, 10)] == ["evt_1"]
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
    assert await queue.read("crm", "worker-a", count=10, block_ms=10) == []
    assert await queue.pending("crm") == 0
    assert len(await queue.read("support", "worker-a", count=10, block_ms=10)) == 1


async def test_done_removes_deliveries(store: Redis, prefix: str) -> None:
    queue = await _ready(store, prefix)
    await _queue(queue, _event(1), _event(2))
    deliveries = await queue.read(SERVICE, "worker-a", count=10, block_ms=10)
    assert await queue.pending(SERVICE) == 2
    await queue.done(SERVICE, [d.entry_id for d in deliveries])
    await queue.done(SERVICE, [])
    assert await queue.pending(SERVICE) == 0
    assert await queue.reclaim(SERVICE, "worker-b", min_idle_ms=0) == []


async def test_retry_at_schedules_and_acknowledges(store: Redis, prefix: str) -> None:
    queue = await _ready(store, prefix)
    await _queue(queue, _event(1))
    [delivery] = await queue.read(SERVICE, "worker-a", count=10, block_ms=10)

    await queue.retry_at(SERVICE, delivery, T0 + 30)

    key = Keys(prefix).fanout(SERVICE)
    assert await store.xlen(key) == 0
    assert (await store.xpending(key, GROUP))["pending"] == 0
    assert await store.zcard(Keys(prefix).fanout(SERVICE, "retry")) == 1
    # A scheduled retry is still work to do.
    assert await queue.pending(SERVICE) == 1


async def test_move_due_moves_only_due_retries(store: Redis, prefix: str) -> None:
    queue = await _ready(store, prefix)
    await _queue(queue, _event(1), _event(2), _event(3))
    first, second, third = await queue.read(SERVICE, "worker-a", count=10, block_ms=10)
    await queue.retry_at(SERVICE, second, T0 + 20)
    await queue.retry_at(SERVICE, first, T0 + 10)
    await queue.retry_at(SERVICE, third, T0 + 99)

    assert await queue.move_due(SERVICE, T0 + 5) == 0
    assert await queue.move_due(SERVICE, T0 + 20) == 2

    moved = await queue.read(SERVICE, "worker-a", count=10, block_ms=10)
    # Due first goes first, and each carries the attempt it failed.
    assert [(d.event, d.attempts, d.first_at) for d in moved] == [
        (_event(1), 1, T0),
        (_event(2), 1, T0),
    ]
    assert await queue.pending(SERVICE) == 3
    assert await queue.move_due(SERVICE, T0 + 20) == 0


async def test_move_due_respects_its_limit(store: Redis, prefix: str) -> None:
    queue = await _ready(store, prefix)
    await _queue(queue, _event(1), _event(2), _event(3))
    for delivery in await queue.read(SERVICE, "worker-a", count=10, block_ms=10):
        await queue.retry_at(SERVICE, delivery, T0)
    assert await queue.move_due(SERVICE, T0, limit=2) == 2
    assert await queue.move_due(SERVICE, T0, limit=2) == 1


async def test_attempts_grow_with_each_retry(store: Redis, prefix: str) -> None:
    queue = await _ready(store, prefix)
    await _queue(queue, _event(1))
    for attempt in range(1, 4):
        [delivery] = await queue.read(SERVICE, "worker-a", count=10, block_ms=10)
        assert delivery.attempts == attempt - 1
        await queue.retry_at(SERVICE, delivery, T0 + attempt)
        assert await queue.move_due(SERVICE, T0 + attempt) == 1
    [delivery] = await queue.read(SERVICE, "worker-a", count=10, block_ms=10)
    # The first due time is kept, so the retry horizon is measured from the start.
    assert (delivery.attempts, delivery.first_at) == (3, T0)


async def test_dead_letters_are_listed(store: Redis, prefix: str) -> None:
    queue = await _ready(store, prefix)
    await _queue(queue, _event(1), _event(2))
    first, second = await queue.read(SERVICE, "worker-a", count=10, block_ms=10)
    await queue.dead_letter(SERVICE, Delivery(first.entry_id, first.event, 7, first.first_at))
    await queue.dead_letter(SERVICE, second)

    dead = await queue.dead_letters(SERVICE)

    assert [(d.event, d.attempts, d.first_at) for d in dead] == [
        (_event(1), 7, T0),
        (_event(2), 0, T0),
    ]
    key = Keys(prefix).fanout(SERVICE)
    assert await store.xlen(key) == 0
    assert (await store.xpending(key, GROUP))["pending"] == 0
    # Dead letters wait for an operator; they are not pending work.
    assert await queue.pending(SERVICE) == 0
    assert await queue.dead_letters("crm") == []


async def test_replay_requeues_dead_letters_with_fresh_attempts(store: Redis, prefix: str) -> None:
    queue = await _ready(store, prefix)
    await _queue(queue, _event(1), _event(2))
    for delivery in await queue.read(SERVICE, "worker-a", count=10, block_ms=10):
        await queue.dead_letter(SERVICE, Delivery(delivery.entry_id, delivery.event, 5, T0))
    now = T0 + 3_600.123456

    assert await queue.replay_dead_letters(SERVICE, now) == 2

    assert await queue.dead_letters(SERVICE) == []
    replayed = await queue.read(SERVICE, "worker-a", count=10, block_ms=10)
    assert [(d.event, d.attempts) for d in replayed] == [(_event(1), 0), (_event(2), 0)]
    # Lua's cjson keeps 14 significant digits; sub-millisecond is plenty for a horizon.
    assert all(d.first_at == pytest.approx(now, abs=1e-3) for d in replayed)
    assert await queue.replay_dead_letters(SERVICE, now) == 0


async def test_reclaim_takes_only_idle_deliveries(store: Redis, prefix: str) -> None:
    queue = await _ready(store, prefix)
    await _queue(queue, _event(1), _event(2))
    taken = await queue.read(SERVICE, "crashed", count=10, block_ms=10)

    # Still fresh: its holder may be working on it.
    assert await queue.reclaim(SERVICE, "rescuer", min_idle_ms=10_000) == []
    await asyncio.sleep(0.3)
    reclaimed = await queue.reclaim(SERVICE, "rescuer", min_idle_ms=150)

    assert [(d.entry_id, d.event) for d in reclaimed] == [(d.entry_id, d.event) for d in taken]
    pending = await store.xpending(Keys(prefix).fanout(SERVICE), GROUP)
    assert [c["name"] for c in pending["consumers"]] == ["rescuer"]
    # Reclaiming restarts the idle clock, so two rescuers do not both take it.
    assert await queue.reclaim(SERVICE, "other", min_idle_ms=150) == []


async def test_reclaim_respects_its_count(store: Redis, prefix: str) -> None:
    queue = await _ready(store, prefix)
    await _queue(queue, *(_event(n) for n in range(5)))
    await queue.read(SERVICE, "crashed", count=10, block_ms=10)
    reclaimed = await queue.reclaim(SERVICE, "rescuer", min_idle_ms=0, count=3)
    assert [d.event for d in reclaimed] == [_event(n) for n in range(3)]
