"""SIGHUP, the signal an operator's "reload" sends (``systemctl reload``, ``kill -HUP``)
and a closed terminal sends to the bot it started, ended the bot at once, with no drain:
its sends under way were cut, and with ``--workers N`` the supervisor was gone. It now
reads the config file again, changed or not, and the bot serves on."""

from __future__ import annotations

import asyncio
import signal
import urllib.request

from tests.botprocess import BotProcess
from tests.test_crash import wait_until


async def sighup_then_said(process: BotProcess, line: str) -> None:
    """SIGHUP to the bot, then wait until its log says ``line``; it must not end."""
    assert process.process is not None
    process.process.send_signal(signal.SIGHUP)

    async def said() -> str:
        if process.process is not None and process.process.poll() is not None:
            raise AssertionError(f"the bot ended on SIGHUP:\n{process.output()}")
        return "" if line in process.output() else f"the line {line!r}"

    await wait_until(said, timeout=20)


async def ready_status(process: BotProcess) -> int:
    def ready() -> int:
        with urllib.request.urlopen(f"{process.url}/readyz", timeout=5) as response:
            status: int = response.status
            return status

    return await asyncio.to_thread(ready)


async def test_sighup_reads_the_config_again_and_the_bot_serves_on() -> None:
    process = BotProcess(config={"automation": {"welcome": "Hi!"}})
    process.start()
    try:
        await sighup_then_said(process, "automation reloaded from")
        assert await ready_status(process) == 200
    finally:
        process.close()
