"""A holiday written as no date of the calendar stopped the config from being reloaded.

As an operator saw it: ``holidays: [2026-12-25, 2026-02-30]`` (unquoted, a typo) was
saved while the bot ran; nothing was logged, and no later edit of the file was taken,
fixed or not, until a restart: the watcher had died of the ValueError YAML's date raised.
``config check`` on such a file printed a traceback and exited 1. Both say the file,
the line and the problem now (exit 2), and the watcher goes on.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Sequence
from pathlib import Path

import pytest

from bot.config import watch
from bot.config.automation import AutomationSettings
from bot.model import Service
from tests.botprocess import run_command

CONFIG = """automation:
  away:
    message: "We are closed."
    timezone: Europe/London
    hours: {{mon: "09:00-17:00"}}
    holidays: [2026-12-25, {day}]
  rules:
    - keywords: [hours]
      reply: "{reply}"
"""


def write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    stamp = os.stat(path).st_mtime + 1
    os.utime(path, (stamp, stamp))  # a later time, whatever the file system's precision


class Said(logging.Handler):
    """Sets ``event`` when a line is logged; keeps the lines."""

    def __init__(self) -> None:
        super().__init__()
        self.event, self.lines = asyncio.Event(), list[str]()

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())
        self.event.set()


async def test_the_watch_goes_on_after_a_day_that_is_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(watch, "POLL_SECONDS", 0.02)
    said = Said()
    logging.getLogger(watch.__name__).addHandler(said)
    config = tmp_path / "switchboard.yaml"
    config.write_text(CONFIG.format(day="2026-12-26", reply="Open 9-5."), encoding="utf-8")
    replies: list[str] = []
    changed = asyncio.Event()

    async def apply(automation: AutomationSettings, services: Sequence[Service]) -> None:
        replies.append(automation.rules[0].reply)
        changed.set()

    stopping = asyncio.Event()
    watcher = asyncio.create_task(watch.watch_config(str(config), apply, stopping))
    await asyncio.sleep(0)  # the watcher notes the file's modification time
    try:
        write(config, CONFIG.format(day="2026-02-30", reply="Open 9-6."))
        await asyncio.wait_for(said.event.wait(), 10)
        assert "not reloaded" in said.lines[0] and "2026-02-30" in said.lines[0]
        write(config, CONFIG.format(day="2026-12-26", reply="Open 9-7."))
        await asyncio.wait_for(changed.wait(), 10)
    finally:
        stopping.set()
        await watcher
        logging.getLogger(watch.__name__).removeHandler(said)
    assert replies == ["Open 9-7."]


async def test_config_check_names_the_line(tmp_path: Path) -> None:
    config = tmp_path / "switchboard.yaml"
    config.write_text(CONFIG.format(day="2026-02-30", reply="x"), encoding="utf-8")
    code, out, err = await run_command(dict(os.environ), "config", "check", str(config))
    assert code == 2, (out, err)
    assert "Traceback" not in err
    assert f"{config}:6:" in err and "2026-02-30" in err
