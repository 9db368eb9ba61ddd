"""SIGHUP (``systemctl reload``, ``kill -HUP``) to a bot started with no config file was
taken without a word: the operator who meant to load a file just written saw nothing
happen, and nothing said why. The bot says now that it has no file to read again, and
where it looks for one, and serves on."""

from __future__ import annotations

from tests.botprocess import BotProcess
from tests.test_issues.test_a_sighup_ended_the_bot_without_a_drain import (
    ready_status,
    sighup_then_said,
)


async def test_sighup_with_no_config_file_says_so_and_the_bot_serves_on() -> None:
    process = BotProcess(without_config=True)
    process.start()
    try:
        assert "automation reloaded" not in process.output()
        await sighup_then_said(process, "no config file to read again")
        assert "SWITCHBOARD_CONFIG" in process.output()
        assert await ready_status(process) == 200
    finally:
        process.close()
