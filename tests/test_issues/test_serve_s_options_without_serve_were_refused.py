"""``serve`` is the default command (``python bot.py`` serves), but ``python bot.py
--workers 2`` was refused ("invalid choice: '2'"), and ``--workers=2`` too: an option
before any command is serve's."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def bot_py(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "bot.py", *argv],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("argv", [["--workers", "0"], ["--workers=0"]])
def test_an_option_before_any_command_is_serves(argv: list[str]) -> None:
    done = bot_py(*argv)
    assert done.returncode == 2 and "--workers must be at least 1" in done.stderr, done.stderr


def test_the_command_lines_own_options_stay_its_own() -> None:
    done = bot_py("--version")
    assert done.returncode == 0 and done.stdout.startswith("switchboard ")
