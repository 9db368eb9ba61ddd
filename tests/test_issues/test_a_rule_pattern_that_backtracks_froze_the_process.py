"""A rule's regex that backtracks on some text (``(a|aa)+$``) passed ``config check``, and
one customer message of 40 a's held the process's one thread for hours: webhooks, the
web chat and /healthz stopped answering. A pattern Python's ``re`` could not compile in
another way (``a{99999999999}``, 2,000 nested groups) stopped the start with a trace, and
the same pattern added to a running bot's file stopped its reloads for good. A rule now
matches within a time bound (past it, it does not match), and every such pattern is a
config error of one line."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest
import yaml

from bot.config import watch
from bot.config.automation import AutomationSettings, KeywordRule
from bot.config.settings import ConfigError, load_settings
from bot.model import Identity, Inbound
from handlers.autoreply import AutoReply
from handlers.base import Context
from tests.test_config import write


def _said(text: str) -> Context:
    message = Inbound(
        channel="web",
        number="web:site",
        sender=Identity("vid", "v" * 20),
        provider_id="web:v1:m1",
        kind="text",
        timestamp=time.time(),
        text=text,
    )
    return Context(message=message, now=time.time(), first_contact=False)


async def test_a_backtracking_pattern_gives_up_and_the_next_rule_answers() -> None:
    rules = (
        KeywordRule(reply="EVIL", pattern="(a|aa)+$", priority=90),
        KeywordRule(reply="We open at 9", keywords=("hours",), priority=10),
    )
    auto = AutoReply(AutomationSettings(rules=rules))
    answers = await asyncio.wait_for(
        asyncio.to_thread(auto.check, _said("hours? " + "a" * 40 + "!")), timeout=10
    )
    assert answers == ["We open at 9"]


@pytest.mark.parametrize(
    "pattern", ["a{99999999999}", "(" * 2000 + ")" * 2000], ids=["huge repeat", "deep nesting"]
)
def test_a_pattern_that_cannot_compile_is_a_config_error(tmp_path: Path, pattern: str) -> None:
    text = yaml.safe_dump({"automation": {"rules": [{"pattern": pattern, "reply": "z"}]}})
    with pytest.raises(
        ConfigError, match=r"automation\.rules\[0\]\.pattern: .*(not a regex|too large)"
    ):
        load_settings({"SWITCHBOARD_CONFIG": write(tmp_path, text)})


async def test_a_reload_that_fails_keeps_the_watch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "switchboard.yaml"
    path.write_text(yaml.safe_dump({"automation": {"welcome": "one"}}), encoding="utf-8")
    monkeypatch.setattr(watch, "POLL_SECONDS", 0.01)
    applied: list[str] = []
    called = asyncio.Event()

    async def apply(automation: AutomationSettings, services: object) -> None:
        called.set()
        if automation.welcome == "two":
            raise RuntimeError("applying failed once")
        applied.append(automation.welcome)

    stopping = asyncio.Event()
    watching = asyncio.create_task(watch.watch_config(str(path), apply, stopping))
    await asyncio.sleep(0)  # the watch notes the file as it is, before it changes
    try:
        # The first change fails to apply; the second is still seen and applied.
        for welcome, mtime in (("two", 1e6), ("three", 2e6)):
            called.clear()
            path.write_text(yaml.safe_dump({"automation": {"welcome": welcome}}), "utf-8")
            os.utime(path, (mtime, mtime))
            await asyncio.wait_for(called.wait(), timeout=10)
    finally:
        stopping.set()
        await watching
    assert applied == ["three"]
    assert "config file not reloaded" in caplog.text
