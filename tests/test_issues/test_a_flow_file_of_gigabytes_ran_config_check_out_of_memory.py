"""The config file is read up to 1 MiB, and a device or a pipe is refused; a flow file it
names (``flows: {book: {file: ...}}``) was read whole, whatever its size: a flow's
``file`` pointing at a 3 GB file (a log, a dump, a wrong path) took ``config check``
6 GB and 40 s, and a start or a live reload the bot's memory. A flow file is read as the
config file is now, and one past 1 MiB is refused in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config.settings import ConfigError, reload_automation
from tests.config_run import config_check

SIZE = 64 * 1024 * 1024
"""A sparse file: it takes no disk, and reading it whole takes its size in memory."""


def write(tmp_path: Path) -> tuple[Path, Path]:
    book = tmp_path / "book.yaml"
    with open(book, "wb") as file:
        file.truncate(SIZE)
    config = tmp_path / "switchboard.yaml"
    config.write_text(f"automation:\n  flows:\n    book: {{file: {book}}}\n", encoding="utf-8")
    return config, book


async def test_config_check_refuses_a_flow_file_past_a_mebibyte(tmp_path: Path) -> None:
    config, book = write(tmp_path)
    code, out, err = await config_check(config)
    assert (code, out) == (2, ""), err
    assert f"{book}: cannot read the flow file: it is larger than 1 MiB" in err, err


def test_a_reload_refuses_a_flow_file_past_a_mebibyte(tmp_path: Path) -> None:
    config, _ = write(tmp_path)
    with pytest.raises(ConfigError, match="cannot read the flow file: it is larger than 1 MiB"):
        reload_automation(str(config), {})
