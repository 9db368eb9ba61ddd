"""A rule's regex with large counted repeats (``(?:x{30000}){30000}``) passed no check
before it was compiled, and the regex module unrolls such repeats as it compiles:
``config check`` and the start ran out of memory (killed, or a MemoryError traceback and
exit status 1), and a hot reload did the same in the running bot, whose matches alone were
bounded in time. Such a pattern is now refused before it is compiled: ``config check``
and the start say so in one line naming the file, the line and the key, and a reload is
refused while the running automation stays."""

from __future__ import annotations

import asyncio
import logging
import os
import resource
import sys
from pathlib import Path

import pytest

from bot.config import watch
from bot.config.automation import AutomationSettings, automation_settings
from tests.botprocess import ROOT
from tests.config_run import environment

MEMORY = 1 << 30
"""Bytes of address space the command may take: plenty to check a config file."""


def config(pattern: str) -> str:
    return f'automation:\n  rules:\n    - pattern: "{pattern}"\n      reply: "Hi"\n'


def _within_memory() -> None:
    # Unbounded, the check before this fix would have taken the machine's memory.
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


async def config_check_within_memory(path: Path) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(ROOT / "bot.py"),
        "config",
        "check",
        str(path),
        cwd=ROOT,
        env=environment(),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        preexec_fn=_within_memory,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode or 0, out.decode(), err.decode()


@pytest.mark.parametrize("pattern", ["(?:x{30000}){30000}", "(?:a{65535}){65535}", "x{20000}"])
async def test_config_check_refuses_it_in_one_line(tmp_path: Path, pattern: str) -> None:
    path = tmp_path / "switchboard.yaml"
    path.write_text(config(pattern), encoding="utf-8")
    code, out, err = await config_check_within_memory(path)
    assert (code, out) == (2, ""), err
    assert err.startswith(f"{path}:3: automation.rules[0].pattern: too large:"), err
    assert len(err.splitlines()) == 1, err


@pytest.mark.parametrize(
    "pattern",
    [
        r"\border\s*#?\d+",
        r"^[A-Z]{2}\d{6}$",
        r"\p{L}{2,50}(?:\s+\p{L}{2,50}){0,5}",
        r"^.{0,4096}$",
        r"(?x) order \s* [#] (\d{4,8})  # an order number",
    ],
)
def test_an_ordinary_pattern_is_taken(pattern: str) -> None:
    rule = {"pattern": pattern, "reply": "Hi"}
    assert automation_settings({"rules": [rule]}).rules[0].pattern == pattern


class Refusals(logging.Handler):
    """The reloads the watcher refused, as it logs them."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.said: list[str] = []
        self.refused = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        self.said.append(record.getMessage())
        self.refused.set()


async def test_a_reload_with_it_is_refused_and_the_running_rules_stay(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(watch, "POLL_SECONDS", 0.02)
    path = tmp_path / "switchboard.yaml"
    path.write_text(config("hours"), encoding="utf-8")
    applied: list[str] = []
    changed = asyncio.Event()

    async def apply(automation: AutomationSettings, services: object) -> None:
        applied.append(automation.rules[0].pattern)
        changed.set()

    def edit(pattern: str, stamp: float) -> None:
        path.write_text(config(pattern), encoding="utf-8")
        os.utime(path, (stamp, stamp))  # a later time, whatever the file system's precision

    refusals = Refusals()
    logging.getLogger(watch.__name__).addHandler(refusals)
    stopping = asyncio.Event()
    watcher = asyncio.create_task(watch.watch_config(str(path), apply, stopping))
    await asyncio.sleep(0)  # the watcher notes the file's modification time
    try:
        # Big enough to be refused, small enough to compile here when it was not.
        edit("(?:x{1000}){300}", 1e6)
        await asyncio.wait_for(refusals.refused.wait(), 10)
        edit("opening times", 2e6)
        await asyncio.wait_for(changed.wait(), 10)
    finally:
        stopping.set()
        await watcher
        logging.getLogger(watch.__name__).removeHandler(refusals)
    assert applied == ["opening times"]
    assert any("automation.rules[0].pattern: too large" in said for said in refusals.said)
