"""``python bot.py admin inbox`` with Redis stalled (paused, not closed) hung with no word
for as long as Redis did (12 minutes, once), where a Redis that is down gets one line
and exit status 2. A store that does not answer in 5 s is said the same way now, and
so is a bot started on it."""

from __future__ import annotations

import os
import signal

from redis.asyncio import Redis

from tests.botprocess import run_command
from tests.test_admin_profiles import environment
from tests.test_shard_workers_store_outage import private_redis

__all__ = ["private_redis"]


async def test_a_stalled_store_is_said_in_a_line(
    private_redis: tuple[Redis, str], prefix: str
) -> None:
    admin, url = private_redis
    pid = int((await admin.info("server"))["process_id"])
    env = {**environment(prefix), "REDIS_URL": url}
    os.kill(pid, signal.SIGSTOP)
    try:
        code, out, err = await run_command(env, "admin", "inbox", timeout=30)
    finally:
        os.kill(pid, signal.SIGCONT)
    assert (code, out) == (2, ""), err
    assert "cannot connect (no answer in 5 s)" in err
    assert "not-a-secret" not in err
