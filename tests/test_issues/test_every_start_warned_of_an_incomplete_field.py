"""Every start of a fresh install warned "Field 'TELEGRAM_BOT_TOKEN' has an incomplete
definition" (pydantic-settings 2.16, which the requirements allow): the pattern its
annotation names was defined after the class, so the settings class was not complete
when it was made. It is complete now, whatever the version."""

from __future__ import annotations

import subprocess
import sys

from bot.config.environment import Environment


def test_the_environment_is_complete_when_it_is_made() -> None:
    assert Environment.__pydantic_complete__


def test_reading_the_environment_warns_of_nothing() -> None:
    code = (
        "import warnings; warnings.simplefilter('error');"
        "from bot.config.environment import Environment; Environment()"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
