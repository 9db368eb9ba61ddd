"""The idempotency store: a key is taken once, answers are kept for their TTL, a key used
for another request is told apart, and a request that failed lets go of its key.

Every test takes the ``store`` fixture, so each runs against the real Redis and the
embedded store alike.
"""

from __future__ import annotations

import asyncio
import hashlib

from redis.asyncio import Redis

from stores.idempotency import IdempotencyStore, Remembered
from stores.redis import Keys

KEY, PRINT = "retry-7f3a", "sha256:aaa"


async def test_a_new_key_is_taken_then_answered(store: Redis, prefix: str) -> None:
    keys = IdempotencyStore(store, Keys(prefix))
    assert await keys.begin("crm", KEY, PRINT) == Remembered("new")
    assert await keys.begin("crm", KEY, PRINT) == Remembered("in_flight")
    assert await keys.finish("crm", KEY, PRINT, 201, '{"message": {"id": "snd_1"}}')
    again = await keys.begin("crm", KEY, PRINT)
    assert again == Remembered("done", 201, '{"message": {"id": "snd_1"}}')


async def test_the_same_key_for_another_request_is_a_mismatch(store: Redis, prefix: str) -> None:
    keys = IdempotencyStore(store, Keys(prefix))
    await keys.begin("crm", KEY, PRINT)
    assert await keys.begin("crm", KEY, "sha256:bbb") == Remembered("mismatch")
    await keys.finish("crm", KEY, PRINT, 200, "{}")
    assert await keys.begin("crm", KEY, "sha256:bbb") == Remembered("mismatch")


async def test_keys_are_per_service(store: Redis, prefix: str) -> None:
    keys = IdempotencyStore(store, Keys(prefix))
    await keys.begin("crm", KEY, PRINT)
    assert await keys.begin("sales", KEY, "sha256:other") == Remembered("new")


async def test_a_released_key_is_taken_again(store: Redis, prefix: str) -> None:
    keys = IdempotencyStore(store, Keys(prefix))
    await keys.begin("crm", KEY, PRINT)
    assert not await keys.release("crm", KEY, "sha256:bbb")  # not the holder
    assert await keys.release("crm", KEY, PRINT)
    assert await keys.begin("crm", KEY, PRINT) == Remembered("new")
    await keys.finish("crm", KEY, PRINT, 201, "{}")
    assert not await keys.release("crm", KEY, PRINT)  # an answer stays
    assert (await keys.begin("crm", KEY, PRINT)).outcome == "done"


async def test_answers_expire_after_their_ttl(store: Redis, prefix: str) -> None:
    keys = IdempotencyStore(store, Keys(prefix), ttl=3600)
    await keys.begin("crm", KEY, PRINT)
    await keys.finish("crm", KEY, PRINT, 201, "{}")
    [name] = [key async for key in store.scan_iter(match=f"{prefix}idem:crm:*")]
    assert 3500 < await store.ttl(name) <= 3600
    assert name == f"{prefix}idem:crm:{hashlib.sha256(KEY.encode()).hexdigest()}"


async def test_a_key_held_by_a_dead_request_is_free_after_its_lease(
    store: Redis, prefix: str
) -> None:
    keys = IdempotencyStore(store, Keys(prefix), in_flight=0.05)
    await keys.begin("crm", KEY, PRINT)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 5
    while (found := await keys.begin("crm", KEY, PRINT)).outcome == "in_flight":
        assert loop.time() < deadline, "the lease never ran out"
        await asyncio.sleep(0.02)
    assert found == Remembered("new")
    assert not await keys.finish("crm", KEY, "sha256:late", 201, "{}")


async def test_an_erasure_replaces_the_answers_that_name_the_person(
    store: Redis, prefix: str
) -> None:
    keys = IdempotencyStore(store, Keys(prefix), ttl=3600)
    for key, subjects in (("k-1", ["c_1", "p_1"]), ("k-2", ["p_1"]), ("k-3", ["p_2"])):
        await keys.begin("crm", key, PRINT)
        await keys.finish("crm", key, PRINT, 201, '{"name": "Ann"}', subjects)
    await keys.begin("crm", "k-4", PRINT)  # still running: nothing kept to replace
    assert await keys.forget(["p_1", "c_1", "p_9"]) == 2
    for key in ("k-1", "k-2"):
        again = await keys.begin("crm", key, PRINT)
        assert again.outcome == "done" and again.status == 410 and "Ann" not in again.body
    assert await keys.begin("crm", "k-3", PRINT) == Remembered("done", 201, '{"name": "Ann"}')
    assert [key async for key in store.scan_iter(match=f"{prefix}idem:of:p_1")] == []
    assert 3500 < await store.ttl(f"{prefix}idem:of:p_2") <= 3600
