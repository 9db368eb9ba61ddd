"""An admin command run with the deployment's environment wrote its own metric files into
PROMETHEUS_MULTIPROC_DIR: two files a run, left there, and the bot's scrapes added the
command's Redis commands to the bot's. Now a command keeps its metrics to itself."""

from __future__ import annotations

from pathlib import Path

from tests.botprocess import run_command
from tests.conftest import REDIS_URL
from tests.test_cli_basics import environment


async def test_an_admin_command_leaves_the_metrics_directory_as_it_was(
    prefix: str, tmp_path: Path
) -> None:
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    env = environment(
        REDIS_URL=REDIS_URL,
        SWITCHBOARD_KEY_PREFIX=prefix,
        PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
    )
    for command in (["services", "list"], ["inbox"], ["dead-letters", "--inbound"]):
        code, out, err = await run_command(env, "admin", *command)
        assert code == 0, (command, out, err)
    code, out, err = await run_command(env, "config", "check")
    assert code == 0, (out, err)
    assert sorted(p.name for p in metrics_dir.iterdir()) == []
