"""The installed ``switchboard`` command left metric files in the deployment's directory.

As an operator saw it: ``switchboard admin inbox`` beside a ``serve --workers 2`` bot
wrote ``counter_<pid>.db`` and ``histogram_<pid>.db`` into its
``PROMETHEUS_MULTIPROC_DIR``, a pair per run, piling up; ``python bot.py admin inbox``
left none. README says the two are the same, and that admin commands keep their
metrics to themselves. The installed command now starts where ``bot.py`` does.
"""

from __future__ import annotations

import asyncio
import os
import sys
from importlib.metadata import entry_points
from pathlib import Path

from tests.conftest import REDIS_URL

ROOT = Path(__file__).resolve().parents[2]
# What pip's console script for "switchboard" runs.
SCRIPT = "import sys; from {module} import {name}; sys.exit({name}())"


async def test_the_installed_command_keeps_its_metrics_to_itself(tmp_path: Path) -> None:
    (installed,) = entry_points(group="console_scripts", name="switchboard")
    module, _, name = installed.value.partition(":")
    shared = tmp_path / "metrics"
    shared.mkdir()
    env = {
        **os.environ,
        "REDIS_URL": REDIS_URL,
        "SWITCHBOARD_CONFIG": os.devnull,
        "PROMETHEUS_MULTIPROC_DIR": str(shared),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        SCRIPT.format(module=module, name=name),
        "admin",
        "services",
        "list",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode == 0, (out, err)
    assert list(shared.iterdir()) == []
