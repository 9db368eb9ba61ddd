"""``config check`` said "None: Keys should be strings (got None)" of a ``null:`` key, with
no file and no line, where every other problem names both. A key YAML reads as another
type (null, a boolean) is found at its line now, or at least in its file."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config.settings import ConfigError, load_settings
from tests.test_config import write


def test_a_null_key_names_its_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "automation:\n  welcome: hi\nnull: 3\n")
    with pytest.raises(ConfigError) as raised:
        load_settings({"SWITCHBOARD_CONFIG": path})
    assert raised.value.problems == (f"{path}:3: None: Keys should be strings (got None)",)


def test_a_key_without_a_line_names_its_file(tmp_path: Path) -> None:
    path = write(tmp_path, "yes: 1\n")
    with pytest.raises(ConfigError) as raised:
        load_settings({"SWITCHBOARD_CONFIG": path})
    assert all(problem.startswith(f"{path}:") for problem in raised.value.problems)
