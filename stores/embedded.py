"""The embedded store: fakeredis in this process, when no ``REDIS_URL`` is set. Imported
only then."""

from __future__ import annotations

import asyncio
import contextlib

import fakeredis

from stores.pipeline import QuickRedis


class EmbeddedRedis(fakeredis.FakeAsyncRedis):
    """fakeredis' client whose pipelines are the client's own (``QuickPipeline``), so that
    they keep the hooks of ``after_sent``; on fakeredis' pool they take redis-py's path."""

    pipeline = QuickRedis.pipeline


SWEEP_SECONDS = 10.0
"""How often the keys past their expiry are freed."""


async def sweep_expired(redis: EmbeddedRedis, stopping: asyncio.Event) -> None:
    """Free the keys past their expiry, until ``stopping``: fakeredis drops an expired key
    only when it is read again, or on a command that walks every key, so uploaded files,
    the events kept for catch-up and the dedupe and idempotency keys would stay in memory
    for good. ``DBSIZE`` is such a command, and cheap: it pops what expired off a heap."""
    while not stopping.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), SWEEP_SECONDS)
        await redis.dbsize()
