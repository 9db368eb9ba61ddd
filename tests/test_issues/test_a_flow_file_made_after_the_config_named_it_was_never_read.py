"""A flow file the config named before it existed (the operator adds ``newf: {file:
flows/newf.yaml}``, then writes the file) was never read while the bot ran: the reload of
the config was refused for the missing file, and the watch looked only at flow files that
were there when the config last changed, so the new file's appearance went unseen until
the config was edited again or the bot was restarted. README: the bot takes edits of the
flow files the config names within a second. Each place a named file is looked for is
watched, there or not."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from pathlib import Path

import pytest

from bot.config import watch
from bot.config.automation import AutomationSettings
from bot.model import Service

CONFIG = "automation:\n  flows:\n    newf: {file: newf.yaml}\n"
FLOW = 'start: [brandnew]\nsteps:\n  - {id: a, ask: "Which one?"}\nend: Thanks.\n'


async def test_a_flow_file_written_after_the_config_is_taken(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(watch, "POLL_SECONDS", 0.02)
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "switchboard.yaml"
    path.write_text(CONFIG)
    applied: list[AutomationSettings] = []
    changed = asyncio.Event()

    async def apply(automation: AutomationSettings, services: Sequence[Service]) -> None:
        applied.append(automation)
        changed.set()

    stopping = asyncio.Event()
    watcher = asyncio.create_task(watch.watch_config(str(path), apply, stopping))
    try:
        await asyncio.sleep(0)  # the watch has looked at what is there
        flow = tmp_path / "newf.yaml"
        flow.write_text(FLOW)
        os.utime(flow, (2_000_000_000, 2_000_000_000))
        await asyncio.wait_for(changed.wait(), 15)
    finally:
        stopping.set()
        await asyncio.wait_for(watcher, 15)
    assert [rule.flow.name for rule in applied[-1].rules if rule.flow] == ["newf"]
