"""``PROMETHEUS_MULTIPROC_DIR`` naming a regular file, or a path under one, stopped
``serve``, ``serve --workers N`` and the admin commands with a traceback, when the
directory was made or the first metric written there. It is now one line naming the
variable, exit 2. (The admin commands no longer use the variable at all: their metrics
are their own.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.botprocess import run_command, said
from tests.config_run import environment


@pytest.mark.parametrize("under", [False, True], ids=["a file", "under a file"])
@pytest.mark.parametrize("args", [(), ("serve", "--workers", "2")])
async def test_a_metrics_dir_that_cannot_be_a_directory_is_one_line(
    tmp_path: Path, redis_url: str, prefix: str, under: bool, args: tuple[str, ...]
) -> None:
    taken = tmp_path / "metrics"
    taken.write_text("a file, not a directory")
    given = taken / "here" if under else taken
    env = environment(PROMETHEUS_MULTIPROC_DIR=str(given))
    if args:  # several workers need a store
        env |= {"REDIS_URL": redis_url, "SWITCHBOARD_KEY_PREFIX": prefix}
    code, _, err = await run_command(env, *args, timeout=60)
    assert code == 2, err
    assert "Traceback" not in err
    [line] = said(err)
    assert line.startswith(f"PROMETHEUS_MULTIPROC_DIR={given}: must be a directory"), line
    assert taken.read_text() == "a file, not a directory"
