"""In a Redis outage the scheduler tried again at once after each failed tick (its lease
was due at once, as it held none), logging a line every 0.06 to 0.6 s, 49 lines in
20 s, and burning four times its idle CPU. Failed ticks wait a second, then two, four,
at most five, before the next."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bench.procs import Child
from bot.core import retry
from tests.conftest import BotFactory
from tests.test_crash import wait_until


async def test_the_scheduler_backs_off_while_the_store_is_down(
    make_bot: BotFactory,
    private_redis_server: Child,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(retry, "QUIET_SECONDS", 0.0)  # each try said, to time them
    await make_bot(redis_url=private_redis_server.url)
    caplog.set_level(logging.WARNING, logger="bot.outreach.scheduler")
    private_redis_server.stop()
    try:

        def tries() -> list[logging.LogRecord]:
            return [r for r in caplog.records if "scheduler's tick failed" in r.getMessage()]

        async def missing() -> str:
            return "" if len(tries()) >= 3 else f"{len(tries())} tries so far"

        await wait_until(missing, timeout=15)
        first, second, third = (record.created for record in tries()[:3])
        assert second - first >= 0.9 and third - second >= 1.9, (first, second, third)
    finally:
        await asyncio.to_thread(private_redis_server.start)
