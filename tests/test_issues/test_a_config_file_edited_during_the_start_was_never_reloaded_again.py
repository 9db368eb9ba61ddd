"""A config file edited while the bot started (after its settings were read, before its
watch looked at the file) stopped the watch at its first look, on an IndexError that no
one saw: that edit and every later one were never taken, until a restart. Such a file is
now reloaded at the first look, as meant, and the watch goes on."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

import pytest

from bot.config import watch
from bot.config.automation import AutomationSettings
from bot.model import Service
from tests.test_config import rewrite


async def test_an_edit_made_during_the_start_and_the_next_ones_are_taken(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(watch, "POLL_SECONDS", 0.02)
    path = tmp_path / "switchboard.yaml"
    rewrite(path, "automation:\n  welcome: edited during the start\n", 2_000_000_000)
    applied: list[str] = []
    changed = asyncio.Event()

    async def apply(automation: AutomationSettings, services: Sequence[Service]) -> None:
        applied.append(automation.welcome or "")
        changed.set()

    stopping = asyncio.Event()
    # The running settings were read before the file's last change.
    watcher = asyncio.create_task(
        watch.watch_config(str(path), apply, stopping, read_at=1_999_999_990.0)
    )
    try:
        await asyncio.wait_for(changed.wait(), 15)
        changed.clear()
        rewrite(path, "automation:\n  welcome: edited later\n", 2_000_000_010)
        await asyncio.wait_for(changed.wait(), 15)
    finally:
        stopping.set()
        await asyncio.wait_for(watcher, 15)
    assert applied == ["edited during the start", "edited later"]
