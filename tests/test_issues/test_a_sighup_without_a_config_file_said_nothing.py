"""SIGHUP (``systemctl reload``, ``kill -HUP``) to a bot started with no config file was
taken without a word: the operator who meant to load a file just written saw nothing
happen, and nothing said why. The bot says now that it has no file to read again, and
where it looks for one, and serves on."""

from __future__ import annotations

import asyncio
import signal
import urllib.request

from tests.botprocess import BotProcess
from tests.test_crash import wait_until


async def test_sighup_with_no_config_file_says_so_and_the_bot_serves_on() -> None:
    process = BotProcess(without_config=True)
    process.start()
    try:
        assert process.process is not None
        assert "automation reloaded" not in process.output()
        process.process.send_signal(signal.SIGHUP)

        async def said() -> str:
            if process.process is not None and process.process.poll() is not None:
                raise AssertionError(f"the bot ended on SIGHUP:\n{process.output()}")
            return "" if "no config file to read again" in process.output() else "a line"

        await wait_until(said, timeout=20)
        assert "SWITCHBOARD_CONFIG" in process.output()

        def ready() -> int:
            with urllib.request.urlopen(f"{process.url}/readyz", timeout=5) as response:
                status: int = response.status
                return status

        assert await asyncio.to_thread(ready) == 200
    finally:
        process.close()
