"""A SIGTERM that reached ``serve --workers N`` within a second of a worker's death (while
the supervisor waited to replace it) stopped the workers, then started the replacement
anyway: the supervisor and that new worker ran on, until a second SIGTERM or a SIGKILL
(a container's stop, without any drain). The stop is the stop now."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess

from redis.asyncio import Redis

from tests.test_process import _workers_of, two_workers


async def test_a_sigterm_during_a_workers_replacement_stops_everything(
    prefix: str, real_redis: Redis
) -> None:
    bot = await two_workers(prefix)
    try:
        assert bot.process is not None
        os.kill(_workers_of(bot.process.pid)[0], signal.SIGKILL)
        async with asyncio.timeout(20):  # the supervisor waits a second before replacing it
            while True:
                if "exited with -9; starting another" in bot.output():
                    break
                await asyncio.sleep(0.01)
        bot.process.send_signal(signal.SIGTERM)
        try:
            code = await asyncio.to_thread(bot.process.wait, 30)
        except subprocess.TimeoutExpired:
            raise AssertionError("the supervisor ran on after SIGTERM") from None
        assert code == 0
    finally:
        bot.close()
