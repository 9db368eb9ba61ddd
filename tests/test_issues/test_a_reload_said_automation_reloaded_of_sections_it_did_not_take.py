"""Edits to the config file's sections a running bot takes only at a start (a drip
sequence added, the web chat's title, a channel's keywords, a service added) were logged
"automation reloaded from …", and nothing else: `admin enrol` took enrolments into the new
sequence, whose steps never went until a restart. The reload now says which sections
changed that apply at the next start."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
import yaml

from bot.config.automation import automation_settings
from tests.conftest import BotFactory
from tests.test_automation_runtime import said

BEFORE = {"automation": {"welcome": "Hi!"}, "webchat": {"title": "Chat with us"}}


async def test_a_reload_names_the_sections_that_wait_for_a_start(
    make_bot: BotFactory, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.config.watch")
    path = tmp_path / "switchboard.yaml"
    path.write_text(yaml.safe_dump(BEFORE), encoding="utf-8")
    await make_bot(config_path=str(path), automation=automation_settings({"welcome": "Hi!"}))
    await asyncio.sleep(1.1)  # a new modification time, whatever the file system's precision
    path.write_text(
        yaml.safe_dump({"automation": {"welcome": "Hello!"}, "webchat": {"title": "Ask us"}}),
        encoding="utf-8",
    )
    await said(caplog, "apply at the next start", 1)
    warning = next(r for r in caplog.records if "apply at the next start" in r.getMessage())
    assert warning.levelno == logging.WARNING
    assert "webchat changed" in warning.getMessage()
    assert "automation" not in warning.getMessage().split(":", 1)[1]
