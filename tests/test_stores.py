"""Store contracts, part one: scripts, the client's batches, the sharded streams, leases,
poll offsets and live pushes.

Every test takes the ``store`` fixture, so each runs against the real Redis and the
embedded store alike: a deployment must behave the same whichever one it is given.
The other parts are ``test_stores_conversations.py`` and ``test_stores_deliveries.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from stores.conversations import ConversationStore
from stores.leases import Grant, Leases
from stores.live import LiveChannel
from stores.polling import PollOffsets
from stores.redis import Keys, Script, StoreClient, StoreError, is_store_fault
from stores.streams import DEDUPE_TTL, GROUP, DeadLetter, InboundLog, ShardedStream
from tests.botprocess import free_port

# --- Script ---------------------------------------------------------------------------


async def test_script_reloads_when_the_server_forgot_it(store: Redis) -> None:
    # A restarted server has no scripts; a script nobody ran stands in for that without
    # flushing the scripts of everyone else sharing this Redis.
    script = Script(f"return ARGV[1] -- {uuid.uuid4().hex}")
    assert not (await store.script_exists(script.digest))[0]
    assert await script(store, [], ["first"]) == "first"
    assert (await store.script_exists(script.digest))[0]  # kept: EVALSHA runs it next
    assert await script(store, [], ["second"]) == "second"


async def test_script_queued_on_a_pipeline_needs_no_load(store: Redis) -> None:
    script = Script("return {ARGV[1], KEYS[1]}")
    async with store.pipeline(transaction=False) as pipe:
        script.queue(pipe, ["k"], ["v"])
        assert await pipe.execute() == [["v", "k"]]


# --- StoreClient ----------------------------------------------------------------------


async def test_a_batch_sends_several_stores_commands_when_it_ends(
    store: Redis, prefix: str
) -> None:
    keys = Keys(prefix)
    outbox = ShardedStream(store, keys, shards=1, kind="outbox")
    conversations = ConversationStore(store, keys)
    async with StoreClient(store).batch() as pipe:
        outbox.queue_append(pipe, 0, "send")
        conversations.queue_opt_out(pipe, "c_1", True)
        assert await outbox.backlog() == 0 and await conversations.meta("c_1") == {}
    assert await outbox.backlog() == 1
    assert await conversations.meta("c_1") == {"opted_out": "1"}


async def test_a_batch_that_raises_sends_nothing(store: Redis, prefix: str) -> None:
    outbox = ShardedStream(store, Keys(prefix), shards=1, kind="outbox")
    with pytest.raises(LookupError):
        async with StoreClient(store).batch() as pipe:
            outbox.queue_append(pipe, 0, "send")
            raise LookupError("changed my mind")
    assert await outbox.backlog() == 0


async def test_the_store_answers_a_ping(store: Redis) -> None:
    await StoreClient(store).ping()


# --- InboundLog and ShardedStream -----------------------------------------------------


async def test_append_new_dedupes_a_repeated_key(store: Redis, prefix: str) -> None:
    log = InboundLog(store, Keys(prefix), shards=2)
    assert await log.append_new([(0, "m:wamid.1", '{"n": 1}')]) == [True]
    assert await log.append_new([(0, "m:wamid.1", '{"n": 1}')]) == [False]
    assert await store.xlen(log.key(0)) == 1
    # Meta retries a webhook for days; the key must outlive that, and not forever.
    ttl = await store.ttl(Keys(prefix).dedupe(0, "m:wamid.1"))
    assert DEDUPE_TTL - 60 < ttl <= DEDUPE_TTL


async def test_append_new_handles_several_items_across_shards(store: Redis, prefix: str) -> None:
    log = InboundLog(store, Keys(prefix), shards=3)
    items = [(0, "m:a", "A"), (2, "m:b", "B"), (0, "m:a", "A again"), (1, "m:c", "C")]
    assert await log.append_new(items) == [True, True, False, True]
    assert [await store.xlen(log.key(shard)) for shard in range(3)] == [1, 1, 1]
    assert await log.backlog() == 3
    assert await log.append_new([]) == []


async def test_append_new_from_concurrent_callers_keeps_one(store: Redis, prefix: str) -> None:
    log = InboundLog(store, Keys(prefix), shards=1)
    results = await asyncio.gather(*(log.append_new([(0, "m:x", "X")]) for _ in range(10)))
    assert sorted(result[0] for result in results) == [False] * 9 + [True]
    assert await store.xlen(log.key(0)) == 1


async def test_ensure_groups_is_idempotent(store: Redis, prefix: str) -> None:
    log = InboundLog(store, Keys(prefix), shards=2)
    await log.ensure_groups()
    await log.ensure_groups()
    for shard in range(2):
        groups = await store.xinfo_groups(log.key(shard))
        assert [group["name"] for group in groups] == [GROUP]


async def test_entries_appended_before_the_group_exists_are_read(store: Redis, prefix: str) -> None:
    # Webhooks may be accepted before any worker has created the groups.
    log = InboundLog(store, Keys(prefix), shards=1)
    await log.append_new([(0, "m:early", "early")])
    await log.ensure_groups()
    entries = await log.read(0, "worker-a", count=10, block_ms=10)
    assert [entry.data for entry in entries] == ["early"]


async def test_read_returns_entries_in_order_then_nothing(store: Redis, prefix: str) -> None:
    stream = ShardedStream(store, Keys(prefix), shards=2, kind="outbox")
    await stream.ensure_groups()
    ids = [await stream.append(1, f"send-{n}") for n in range(3)]
    entries = await stream.read(1, "worker-a", count=10, block_ms=10)
    assert [(entry.id, entry.data) for entry in entries] == [
        (entry_id, f"send-{n}") for n, entry_id in enumerate(ids)
    ]
    assert await stream.read(1, "worker-a", count=10, block_ms=10) == []
    assert await stream.read(0, "worker-a", count=10, block_ms=10) == []


async def test_a_batch_done_is_acknowledged_with_the_next_read(store: Redis, prefix: str) -> None:
    stream = ShardedStream(store, Keys(prefix), shards=1, kind="outbox")
    await stream.ensure_groups()
    first = [await stream.append(0, f"send-{n}") for n in range(2)]
    assert [e.id for e in await stream.read(0, "worker-a", count=10, block_ms=10)] == first
    await store.hset(stream.key(0, "attempts"), first[0], 2)
    later = await stream.append(0, "send-2")
    taken = await stream.ack_and_read(0, first, "worker-a", 10, 10, retried=True)
    assert [e.id for e in taken] == [later]
    assert [e[0] for e in await store.xrange(stream.key(0))] == [later]  # done ones dropped
    assert await store.hlen(stream.key(0, "attempts")) == 0
    assert await stream.ack_and_read(0, [later], "worker-a", 10, 10) == []
    assert await stream.backlog() == 0


async def test_appends_queued_on_a_pipeline_arrive_in_order(store: Redis, prefix: str) -> None:
    stream = ShardedStream(store, Keys(prefix), shards=2, kind="outbox")
    await stream.ensure_groups()
    async with store.pipeline(transaction=False) as pipe:
        stream.queue_append(pipe, 1, "first")
        stream.queue_append(pipe, 1, "second")
        stream.queue_append(pipe, 0, "elsewhere")
        assert await stream.backlog() == 0  # nothing is sent before the pipeline runs
        await pipe.execute()
    entries = await stream.read(1, "worker-a", count=10, block_ms=10)
    assert [entry.data for entry in entries] == ["first", "second"]
    assert await stream.backlog() == 3


async def test_outbox_and_inbound_log_are_separate_streams(store: Redis, prefix: str) -> None:
    keys = Keys(prefix)
    inbound = InboundLog(store, keys, shards=1)
    outbox = ShardedStream(store, keys, shards=1, kind="outbox")
    assert inbound.key(0) != outbox.key(0)
    await outbox.append(0, "send")
    assert await inbound.backlog() == 0
    assert await outbox.backlog() == 1


async def test_claim_pending_recovers_a_crashed_consumer_in_log_order(
    store: Redis, prefix: str
) -> None:
    log = InboundLog(store, Keys(prefix), shards=1)
    await log.ensure_groups()
    await log.append_new([(0, f"m:{n}", f"doc-{n}") for n in range(5)])
    # Two workers each take part of the shard and die before acknowledging anything.
    read = await log.read(0, "dead-a", count=3, block_ms=10)
    assert len(read) == 3 and not any(entry.redone for entry in read)  # new to everyone
    assert len(await log.read(0, "dead-b", count=10, block_ms=10)) == 2

    claimed = await log.claim_pending(0, "survivor", count=2)

    assert [entry.data for entry in claimed] == [f"doc-{n}" for n in range(5)]
    assert all(entry.redone for entry in claimed)  # an earlier attempt may have worked them
    pending = await store.xpending(log.key(0), GROUP)
    assert pending["pending"] == 5
    assert [c["name"] for c in pending["consumers"]] == ["survivor"]


async def test_hand_back_puts_what_one_consumer_read_back_for_the_next_read(
    store: Redis, prefix: str
) -> None:
    log = InboundLog(store, Keys(prefix), shards=1)
    await log.ensure_groups()
    await log.append_new([(0, f"m:{n}", f"doc-{n}") for n in range(4)])
    first = await log.read(0, "cut-off", count=3, block_ms=10)
    assert await log.fail(0, first[1], "boom", 1.0, 5) == 1
    await log.read(0, "holder", count=10, block_ms=10)  # doc-3, still in the holder's hands

    assert await log.hand_back(0, "cut-off") == 3

    pending = await store.xpending(log.key(0), GROUP)
    assert [(c["name"], c["pending"]) for c in pending["consumers"]] == [("holder", 1)]
    again = await log.read(0, "holder", count=10, block_ms=10)
    assert [entry.data for entry in again] == ["doc-0", "doc-1", "doc-2"]
    assert {entry.id for entry in again}.isdisjoint(entry.id for entry in first)
    # The failed attempt goes along: the entry is not given more attempts by the move.
    assert await log.fail(0, again[1], "boom", 2.0, 5) == 2
    assert await store.hlen(log.key(0, "attempts")) == 1
    assert await log.backlog() == 4
    assert await log.hand_back(0, "cut-off") == 0


async def test_hand_back_drops_what_was_deleted_while_pending(store: Redis, prefix: str) -> None:
    log = InboundLog(store, Keys(prefix), shards=1)
    await log.ensure_groups()
    ids = [await log.append(0, f"doc-{n}") for n in range(2)]
    await log.read(0, "cut-off", count=10, block_ms=10)
    await store.xdel(log.key(0), ids[0])

    assert await log.hand_back(0, "cut-off") == 1

    assert (await store.xpending(log.key(0), GROUP))["pending"] == 0
    assert [entry.data for entry in await log.read(0, "holder", count=10, block_ms=10)] == ["doc-1"]


async def test_ack_drops_entries_from_the_log_and_the_pending_list(
    store: Redis, prefix: str
) -> None:
    log = InboundLog(store, Keys(prefix), shards=1)
    await log.ensure_groups()
    await log.append_new([(0, "m:1", "one"), (0, "m:2", "two")])
    entries = await log.read(0, "worker-a", count=10, block_ms=10)

    await log.ack(0, [entry.id for entry in entries])
    await log.ack(0, [])

    assert await store.xlen(log.key(0)) == 0
    assert (await store.xpending(log.key(0), GROUP))["pending"] == 0
    assert await log.claim_pending(0, "worker-b") == []
    assert await log.backlog() == 0


async def test_claim_pending_skips_entries_deleted_while_pending(store: Redis, prefix: str) -> None:
    log = InboundLog(store, Keys(prefix), shards=1)
    await log.ensure_groups()
    ids = [await log.append(0, f"doc-{n}") for n in range(3)]
    await log.read(0, "dead-a", count=10, block_ms=10)
    await store.xdel(log.key(0), ids[1])

    claimed = await log.claim_pending(0, "survivor")

    assert [entry.data for entry in claimed] == ["doc-0", "doc-2"]


async def test_claim_pending_pages_past_a_run_of_deleted_entries(store: Redis, prefix: str) -> None:
    log = InboundLog(store, Keys(prefix), shards=1)
    await log.ensure_groups()
    ids = [await log.append(0, f"doc-{n}") for n in range(6)]
    await log.read(0, "dead-a", count=10, block_ms=10)
    # A whole page of the scan (count=2) is entries that were deleted but never acked.
    await store.xdel(log.key(0), ids[0], ids[1])

    claimed = await log.claim_pending(0, "survivor", count=2)

    assert [entry.data for entry in claimed] == [f"doc-{n}" for n in range(2, 6)]


async def test_a_failing_entry_is_dead_lettered_at_the_limit_in_one_step(
    store: Redis, prefix: str
) -> None:
    log = InboundLog(store, Keys(prefix), shards=2)
    await log.ensure_groups()
    ids = [await log.append(1, f"doc-{n}") for n in range(2)]
    bad, good = await log.read(1, "worker", count=10, block_ms=10)

    assert [await log.fail(1, bad, "KeyError: 'v'", 1000.0 + n, 3) for n in range(2)] == [1, 2]
    assert await log.dead_letters() == [] and await log.dead_letter_count() == 0
    assert await log.fail(1, bad, "KeyError: 'v'", 1002.5, 3) == 3

    [letter] = await log.dead_letters()
    assert letter == DeadLetter(1, ids[0], "doc-0", "KeyError: 'v'", 1002.5, 3)
    assert await log.dead_letter_count() == 1
    assert [entry.data for entry in await log.claim_pending(1, "next")] == ["doc-1"]
    assert await store.xlen(log.key(1)) == 1
    assert await store.hlen(log.key(1, "attempts")) == 0
    await log.ack(1, [good.id])
    assert await log.backlog() == 0


async def test_an_acknowledged_retry_forgets_its_failed_attempts(store: Redis, prefix: str) -> None:
    outbox = ShardedStream(store, Keys(prefix), shards=1, kind="outbox")
    await outbox.ensure_groups()
    await outbox.append(0, "doc")
    [entry] = await outbox.read(0, "worker", count=10, block_ms=10)
    assert await outbox.fail(0, entry, "ValueError: no", 1.0, 5) == 1

    await outbox.ack(0, [entry.id], retried=True)

    assert await store.hlen(outbox.key(0, "attempts")) == 0
    assert await outbox.backlog() == 0


async def test_replay_puts_each_dead_letter_back_on_its_shard(store: Redis, prefix: str) -> None:
    log = InboundLog(store, Keys(prefix), shards=3)
    await log.ensure_groups()
    for shard in (0, 2, 2):
        await log.append(shard, f"doc-{shard}")
    for shard in (0, 2):
        for entry in await log.read(shard, "worker", count=10, block_ms=10):
            await log.fail(shard, entry, "boom", 1.0, 1)
    assert await log.dead_letter_count() == 3 and await log.backlog() == 0

    assert await log.replay_dead_letters() == 3

    assert await log.dead_letters() == []
    assert [e.data for e in await log.read(0, "worker", count=10, block_ms=10)] == ["doc-0"]
    assert [e.data for e in await log.read(2, "worker", count=10, block_ms=10)] == ["doc-2"] * 2
    assert await log.replay_dead_letters() == 0


async def test_an_entry_without_its_document_is_still_read(store: Redis, prefix: str) -> None:
    log = InboundLog(store, Keys(prefix), shards=1)
    await log.ensure_groups()
    await store.xadd(log.key(0), {"x": "1"})
    await log.append(0, "doc")

    entries = await log.read(0, "worker", count=10, block_ms=10)

    assert [entry.data for entry in entries] == ["", "doc"]


async def test_a_refused_value_is_the_works_fault_and_a_lost_store_the_stores(
    store: Redis, prefix: str
) -> None:
    with pytest.raises(StoreError) as refused:
        await store.zadd(f"{prefix}z", {"member": "nan"})
    assert not is_store_fault(refused.value)
    unreachable = Redis(port=free_port(), decode_responses=True, retry=Retry(NoBackoff(), 0))
    with pytest.raises(StoreError) as lost:
        await unreachable.ping()
    await unreachable.aclose()
    assert is_store_fault(lost.value)


# --- Leases ---------------------------------------------------------------------------


async def test_keep_renews_the_leases_held_and_counts_the_holders(
    store: Redis, prefix: str
) -> None:
    keys = Keys(prefix)
    alice, bob = Leases(store, keys, "alice"), Leases(store, keys, "bob")
    token = await alice.acquire("shard:0", 5_000)
    await bob.acquire("shard:1", 5_000)
    assert await alice.keep("shards", [], 5_000) == (1, [])
    alive, held = await bob.keep("shards", ["shard:1"], 5_000)
    assert (alive, held) == (2, [True])
    # Another holder's lease, and one that lapsed, are not held; keeping takes neither.
    await store.delete(keys.lease("shard:2"))
    alive, held = await alice.keep("shards", ["shard:0", "shard:1", "shard:2"], 60_000)
    assert (alive, held) == (2, [True, False, False])
    assert await store.get(keys.lease("shard:2")) is None
    assert await store.pttl(keys.lease("shard:0")) > 5_000  # renewed for the new ttl
    assert await alice.acquire("shard:0", 60_000) == token  # the same grant: no new token


async def test_lease_goes_to_one_holder_at_a_time(store: Redis, prefix: str) -> None:
    keys = Keys(prefix)
    alice, bob = Leases(store, keys, "alice"), Leases(store, keys, "bob")
    token = await alice.acquire("shard:0", 5_000)
    assert isinstance(token, int) and token > 0
    assert await bob.acquire("shard:0", 5_000) is None
    # Renewing keeps the token: the holder has not changed, so nothing it did is stale.
    assert await alice.acquire("shard:0", 5_000) == token
    # Leases are per name.
    assert await bob.acquire("shard:1", 5_000) is not None


async def test_release_by_another_holder_changes_nothing(store: Redis, prefix: str) -> None:
    keys = Keys(prefix)
    alice, bob = Leases(store, keys, "alice"), Leases(store, keys, "bob")
    token = await alice.acquire("shard:0", 5_000)
    await bob.release("shard:0")
    assert await bob.acquire("shard:0", 5_000) is None
    assert await alice.acquire("shard:0", 5_000) == token


async def test_released_lease_goes_to_the_next_holder_with_a_larger_token(
    store: Redis, prefix: str
) -> None:
    keys = Keys(prefix)
    alice, bob = Leases(store, keys, "alice"), Leases(store, keys, "bob")
    first = await alice.acquire("shard:0", 5_000)
    await alice.release("shard:0")
    second = await bob.acquire("shard:0", 5_000)
    assert first is not None and second is not None
    assert second > first
    assert await alice.acquire("shard:0", 5_000) is None


async def test_expired_lease_is_fenced(store: Redis, prefix: str) -> None:
    keys = Keys(prefix)
    alice, bob = Leases(store, keys, "alice"), Leases(store, keys, "bob")
    first = await alice.acquire("shard:0", 50)
    # Alice pauses past her lease without releasing it.
    await asyncio.sleep(0.15)
    second = await bob.acquire("shard:0", 5_000)
    assert first is not None and second is not None
    assert second > first
    assert await alice.acquire("shard:0", 5_000) is None


async def test_a_grant_says_whether_it_took_over_from_a_holder_that_lapsed(
    store: Redis, prefix: str
) -> None:
    keys = Keys(prefix)
    alice, bob = Leases(store, keys, "alice"), Leases(store, keys, "bob")
    assert await alice.grant("shard:0", 5_000) == Grant(1, after_lapse=False)  # the first
    assert await alice.grant("shard:0", 5_000) == Grant(1, after_lapse=False)  # renewed
    await alice.release("shard:0")
    assert await bob.grant("shard:0", 50) == Grant(2, after_lapse=False)  # let go of
    await asyncio.sleep(0.15)  # Bob pauses past his lease without releasing it.
    assert await alice.grant("shard:0", 5_000) == Grant(3, after_lapse=True)
    assert await bob.grant("shard:0", 5_000) is None


async def test_the_holders_alive_in_a_group_are_counted_without_joining(
    store: Redis, prefix: str
) -> None:
    keys = Keys(prefix)
    alice, bob = Leases(store, keys, "alice"), Leases(store, keys, "bob")
    assert await bob.alive("telegram-webhook:7", 5_000) == 0
    await alice.heartbeat("telegram-webhook:7", 5_000)
    assert await bob.alive("telegram-webhook:7", 5_000) == 1
    assert await bob.alive("telegram-webhook:7", 5_000) == 1  # Bob did not join
    await alice.leave("telegram-webhook:7")
    assert await bob.alive("telegram-webhook:7", 5_000) == 0


async def test_concurrent_acquire_grants_one_lease(store: Redis, prefix: str) -> None:
    keys = Keys(prefix)
    holders = [Leases(store, keys, f"worker-{n}") for n in range(10)]
    tokens = await asyncio.gather(*(holder.acquire("shard:0", 5_000) for holder in holders))
    assert sum(token is not None for token in tokens) == 1


# --- PollOffsets ----------------------------------------------------------------------


async def test_a_poll_offset_starts_at_zero_and_only_moves_forward(
    store: Redis, prefix: str
) -> None:
    keys = Keys(prefix)
    offsets = PollOffsets(store, keys)
    token = await Leases(store, keys, "alice").acquire("telegram:7", 5_000)
    assert token is not None
    assert await offsets.get("telegram:7") == 0
    assert await offsets.advance("telegram:7", 105, token) == 105
    assert await offsets.advance("telegram:7", 101, token) == 105  # never back
    assert await offsets.get("telegram:7") == 105
    assert await offsets.get("telegram:8") == 0


async def test_concurrent_advances_keep_the_furthest(store: Redis, prefix: str) -> None:
    keys = Keys(prefix)
    offsets = PollOffsets(store, keys)
    token = await Leases(store, keys, "alice").acquire("telegram:7", 5_000)
    assert token is not None
    await asyncio.gather(*(offsets.advance("telegram:7", n, token) for n in (3, 9, 1, 7)))
    assert await offsets.get("telegram:7") == 9


async def test_a_stale_pollers_offset_is_refused(store: Redis, prefix: str) -> None:
    keys = Keys(prefix)
    offsets = PollOffsets(store, keys)
    alice, bob = Leases(store, keys, "alice"), Leases(store, keys, "bob")
    stale = await alice.acquire("telegram:7", 5_000)
    assert stale is not None
    assert await offsets.advance("telegram:7", 100, stale) == 100
    # Only now a lease of 50 ms: a call between 50 ms ones may come too late on a slow machine.
    assert await alice.renew("telegram:7", 50, stale)
    await asyncio.sleep(0.15)  # Alice pauses past her lease; Bob takes it over
    current = await bob.acquire("telegram:7", 5_000)
    assert current is not None and current > stale
    # Alice comes back with updates that are no longer hers to confirm.
    assert await offsets.advance("telegram:7", 130, stale) is None
    assert await offsets.get("telegram:7") == 100
    assert await offsets.advance("telegram:7", 120, current) == 120


async def test_a_lease_is_renewed_only_under_its_token(store: Redis, prefix: str) -> None:
    keys = Keys(prefix)
    alice, bob = Leases(store, keys, "alice"), Leases(store, keys, "bob")
    token = await alice.acquire("telegram:7", 5_000)
    assert token is not None
    assert await alice.renew("telegram:7", 5_000, token)
    assert not await bob.renew("telegram:7", 5_000, token)  # not Bob's
    assert not await alice.renew("telegram:7", 5_000, token + 1)
    # Only now a lease of 100 ms: calls 100 ms apart may be further apart on a slow machine.
    assert await alice.renew("telegram:7", 100, token)
    await asyncio.sleep(0.25)  # lapsed: renewing does not take it back
    assert not await alice.renew("telegram:7", 5_000, token)
    again = await alice.acquire("telegram:7", 5_000)
    assert again is not None and again > token
    assert not await alice.renew("telegram:7", 5_000, token)  # granted again since
    assert await alice.renew("telegram:7", 5_000, again)


# --- LiveChannel ----------------------------------------------------------------------

Frames = asyncio.Queue[tuple[str, str]]


@contextlib.asynccontextmanager
async def _listening(live: LiveChannel, frames: Frames, fail_on: str = "") -> AsyncIterator[None]:
    """Run ``live.listen`` into ``frames`` until the block ends."""

    async def deliver(visitor: str, frame: str) -> None:
        if frame == fail_on:
            raise RuntimeError("the socket went away")
        await frames.put((visitor, frame))

    ready = asyncio.Event()
    task = asyncio.create_task(live.listen(deliver, ready))
    try:
        async with asyncio.timeout(5):
            await ready.wait()
            # PSUBSCRIBE is not acknowledged before ``ready``; probe until frames flow so a
            # publish racing the subscription cannot be lost.
            while True:
                await live.publish("probe", "probe")
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(0.1):
                        await frames.get()
                        break
        while not frames.empty():
            frames.get_nowait()
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _next(frames: Frames) -> tuple[str, str]:
    async with asyncio.timeout(5):
        return await frames.get()


async def test_published_frame_reaches_the_listener(store: Redis, prefix: str) -> None:
    live = LiveChannel(store, Keys(prefix))
    frames: Frames = asyncio.Queue()
    async with _listening(live, frames):
        await live.publish("visitor-1", '{"text": "hello"}')
        await live.publish("visitor:2", "second")
        assert await _next(frames) == ("visitor-1", '{"text": "hello"}')
        assert await _next(frames) == ("visitor:2", "second")


async def test_listener_survives_a_failing_delivery(store: Redis, prefix: str) -> None:
    live = LiveChannel(store, Keys(prefix))
    frames: Frames = asyncio.Queue()
    async with _listening(live, frames, fail_on="boom"):
        await live.publish("visitor-1", "boom")
        await live.publish("visitor-1", "after")
        assert await _next(frames) == ("visitor-1", "after")


async def test_listener_hears_only_its_own_prefix(store: Redis, prefix: str) -> None:
    # Two deployments may share one Redis; neither may push to the other's sockets.
    live = LiveChannel(store, Keys(prefix))
    frames: Frames = asyncio.Queue()
    async with _listening(live, frames):
        await LiveChannel(store, Keys(f"{prefix}other:")).publish("visitor-1", "elsewhere")
        await live.publish("visitor-1", "mine")
        assert await _next(frames) == ("visitor-1", "mine")
        assert frames.empty()
