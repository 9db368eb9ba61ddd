"""README says the automation's edits apply without a restart, and the shipped config
keeps its flows in files of their own (``flows: {callback: {file: flows/callback.yaml}}``);
but only the config file itself was watched: an edited flow file was taken at the next
change of the config file, or the next start. A flow file the config names is watched
too now."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from pathlib import Path

import pytest

from bot.config import watch
from bot.config.automation import AutomationSettings
from bot.model import Service

FLOW = """start: [callback]
steps:
  - id: name
    ask: "{question}"
    input: text
"""


async def test_an_edited_flow_file_is_taken(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(watch, "POLL_SECONDS", 0.02)
    flow = tmp_path / "callback.yaml"
    flow.write_text(FLOW.format(question="OLD QUESTION?"), encoding="utf-8")
    config = tmp_path / "switchboard.yaml"
    config.write_text(f"automation:\n  flows:\n    callback: {{file: {flow}}}\n", encoding="utf-8")
    asked: list[str] = []
    changed = asyncio.Event()

    async def apply(automation: AutomationSettings, services: Sequence[Service]) -> None:
        asked.append(automation.flows[0].steps[0].ask)
        changed.set()

    stopping = asyncio.Event()
    watcher = asyncio.create_task(watch.watch_config(str(config), apply, stopping))
    await asyncio.sleep(0)  # the watcher notes the files' modification times
    try:
        flow.write_text(FLOW.format(question="NEW QUESTION?"), encoding="utf-8")
        stamp = os.stat(flow).st_mtime + 1
        os.utime(flow, (stamp, stamp))  # a later time, whatever the file system's precision
        await asyncio.wait_for(changed.wait(), 10)
    finally:
        stopping.set()
        await watcher
    assert asked == ["NEW QUESTION?"]
