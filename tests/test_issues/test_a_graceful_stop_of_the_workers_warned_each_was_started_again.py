"""``serve --workers 2`` stopped with SIGTERM (``systemctl stop``, ``docker compose down``)
logged, for a worker that finished its drain, the warning "worker-0 exited with 0;
starting another", as if a worker had died and been replaced: an alert on warnings fired
at a deploy, and the log told of a restart that never happened."""

from __future__ import annotations

import asyncio

from tests.test_process import two_workers

STOPS = 4
"""Whether the supervisor sees a worker's end before it looks at the stop again is a race:
one stop in two or three showed the warning."""


async def test_a_graceful_stop_says_no_worker_is_started_again(prefix: str) -> None:
    for _ in range(STOPS):
        bot = await two_workers(prefix)
        try:
            assert await asyncio.to_thread(bot.stop) == 0
            output = bot.output()
            assert output.count("stopped: the drain took") == 2
            assert "starting another" not in output
        finally:
            bot.close()
