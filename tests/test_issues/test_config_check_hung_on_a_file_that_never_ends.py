"""``config check`` (and ``serve`` at its start) hung on /dev/zero, which never ends, and on
a named pipe nobody writes to, which never opens. A path that is no regular file is
refused, saying what it is, and so is a file too large to be a config file."""

from __future__ import annotations

import os
from pathlib import Path

from bot.config.yamlfile import MAX_FILE_BYTES
from tests.config_run import config_check


async def test_a_named_pipe_is_refused_not_waited_on(tmp_path: Path) -> None:
    fifo = tmp_path / "switchboard.yaml"
    os.mkfifo(fifo)
    code, out, err = await config_check(fifo)
    assert (code, out) == (2, "")
    assert err == f"{fifo}: cannot read the config file: it is a named pipe, not a regular file\n"


async def test_dev_zero_is_refused_not_read_forever() -> None:
    code, out, err = await config_check("/dev/zero")
    assert (code, out) == (2, "")
    assert err == "/dev/zero: cannot read the config file: it is a device, not a regular file\n"


async def test_a_directory_is_refused_as_one(tmp_path: Path) -> None:
    code, _, err = await config_check(tmp_path)
    assert code == 2
    assert err.endswith(": cannot read the config file: it is a directory, not a regular file\n")


async def test_a_file_past_the_limit_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "switchboard.yaml"
    path.write_text("# " + "x" * MAX_FILE_BYTES + "\nautomation: {}\n")
    code, out, err = await config_check(path)
    assert (code, out) == (2, "")
    assert err == f"{path}: cannot read the config file: it is larger than 1 MiB\n"


async def test_dev_null_is_still_an_empty_file() -> None:
    assert await config_check(os.devnull) == (0, f"{os.devnull}: valid\n", "")
