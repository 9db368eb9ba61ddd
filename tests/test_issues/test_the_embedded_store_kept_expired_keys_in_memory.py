"""On the embedded store a key past its expiry stayed in memory until something read it
again: uploaded files (up to 16 MiB each, a day), the events kept for catch-up (7 days),
dedupe and idempotency keys were never freed (80 expired files held 41.9 MB). The
store's keys past their expiry are swept now, every ``SWEEP_SECONDS``."""

from __future__ import annotations

import asyncio

import pytest

import stores.embedded
from tests.conftest import BotFactory


async def test_expired_keys_are_freed_without_being_read(
    make_bot: BotFactory, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stores.embedded, "SWEEP_SECONDS", 0.05, raising=False)
    bot = await make_bot(redis_url="")
    redis = bot.runtime.redis
    assert bot.runtime.store_kind == "embedded"
    # Alive long enough to be counted below (20 writes took more than 30 ms on a loaded
    # machine, and the sweep had taken the first ones before the count).
    for n in range(20):
        await redis.set(f"{prefix}sweep-test:{n}", "x" * 100_000, px=2000)
    connection = await redis.connection_pool.get_connection()
    held = connection._server.dbs[0]._dict  # what the process holds, read or not
    await redis.connection_pool.release(connection)
    ours = f"{prefix}sweep-test:".encode()
    assert sum(key.startswith(ours) for key in held) == 20
    for _ in range(500):  # within 10 s: 2 s to expire, then the sweeps
        if not any(key.startswith(ours) for key in list(held)):
            break
        await asyncio.sleep(0.02)
    assert not any(key.startswith(ours) for key in list(held))
