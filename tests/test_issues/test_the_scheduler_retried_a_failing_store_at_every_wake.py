"""With Redis out of memory under load, the scheduler's tick failed about 30 times a
second in each process, each time with a traceback: every new notification woke it at
once. After a failure it waits for its next try whatever wakes it, and a failing store
(there, and in the shards' leases and the fan-out) is said in one line, not traced."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bench.procs import Child
from bot.core.retry import log_failure
from stores.redis import StoreError
from tests.conftest import BotFactory


def test_a_failing_store_is_one_line_and_a_bug_a_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    log = logging.getLogger("test.failures")
    for error in (StoreError("OOM command not allowed"), KeyError("a bug")):
        try:
            raise error
        except Exception:
            log_failure(log, "the part %s failed", "x")
    store, bug = caplog.records
    assert store.levelno == logging.WARNING and store.exc_info is None
    assert store.getMessage() == (
        "the part x failed (the store failed: RedisError: OOM command not allowed)"
    )
    assert bug.levelno == logging.ERROR and bug.exc_info is not None


async def test_wakes_do_not_hurry_a_failing_scheduler(
    make_bot: BotFactory, private_redis_server: Child, caplog: pytest.LogCaptureFixture
) -> None:
    server = private_redis_server
    bot = await make_bot(redis_url=server.url)
    scheduler = bot.runtime.outreach.scheduler
    server.stop()
    caplog.clear()
    deadline = asyncio.get_running_loop().time() + 2.0
    while asyncio.get_running_loop().time() < deadline:
        scheduler.wake()  # as each new notification does
        await asyncio.sleep(0.01)
    failed = [r for r in caplog.records if "scheduler's tick failed" in r.getMessage()]
    # About one a second (TICK_SECONDS), on a machine as slow as it may be; a wake
    # every 10 ms would make about 200.
    assert 1 <= len(failed) <= 8, len(failed)
    assert all(r.exc_info is None for r in failed)
