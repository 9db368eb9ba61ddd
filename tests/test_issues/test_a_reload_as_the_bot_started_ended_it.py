"""SIGHUP reads the config file again and never ends the bot, the README says; but one
that came in the second or so the bot took to start (``systemctl reload`` just after a
start, or passed on by ``serve --workers N`` to a worker being started in place of one
that died) ended the process at once, by SIGHUP's default action. It is held now until
the bot takes it, and read then."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

from tests.botprocess import BotProcess

HOLD_SECONDS = 0.5
"""Past this, SIGHUP is sent even if the process has not held it (as it did not before):
still well within the start, which takes over a second."""


def _holds_sighup(pid: int) -> bool:
    """Whether the process blocks SIGHUP now (bit 0 of its blocked signals' mask)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    mask = next(line for line in status.splitlines() if line.startswith("SigBlk:"))
    return bool(int(mask.split()[1], 16) & 1 << (signal.SIGHUP - 1))


async def test_a_sighup_while_the_bot_starts_is_read_once_it_serves() -> None:
    bot = BotProcess()
    starting = asyncio.create_task(asyncio.to_thread(bot.start))
    try:
        async with asyncio.timeout(10):
            while True:
                if bot.process is not None:
                    break
                await asyncio.sleep(0.001)
        began = time.monotonic()
        while True:
            if _holds_sighup(bot.process.pid) or time.monotonic() - began > HOLD_SECONDS:
                break
            await asyncio.sleep(0.005)
        assert "Switchboard is serving" not in bot.output()
        bot.process.send_signal(signal.SIGHUP)
        await starting  # it serves, rather than exit
        async with asyncio.timeout(10):
            while True:
                if "automation reloaded" in bot.output():
                    break
                await asyncio.sleep(0.05)
        assert bot.process.poll() is None
    finally:
        await asyncio.gather(starting, return_exceptions=True)
        bot.close()
