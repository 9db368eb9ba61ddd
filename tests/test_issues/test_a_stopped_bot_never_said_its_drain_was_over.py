"""After a SIGTERM the log never said the drain was over.

As an operator saw it: the last line was always "stopping: draining the work in
flight", whether the drain ended in a second or the process hung and was killed: the two
looked the same. The bot says when it has stopped, and how long the drain took.
"""

from __future__ import annotations

import asyncio
import re

from tests.botprocess import BotProcess


async def test_the_end_of_the_drain_is_said() -> None:
    bot = BotProcess()
    await asyncio.to_thread(bot.start)
    try:
        assert await asyncio.to_thread(bot.stop) == 0
        output = bot.output()
    finally:
        bot.close()
    assert "stopping: draining the work in flight" in output
    assert re.search(r"stopped: the drain took \d+\.\d s", output), output[-2000:]
