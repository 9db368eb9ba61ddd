"""A ``HOST`` that names no machine was blamed on the port.

As an operator saw it: ``HOST=nonexistent.invalid`` stopped the start with "PORT=8080:
cannot listen on nonexistent.invalid:8080 (Name or service not known)": the port was
fine. A host that resolves to nothing is HOST's mistake, and the line says so.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from tests.botprocess import free_port

ROOT = Path(__file__).resolve().parents[2]


async def test_the_host_is_blamed() -> None:
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if k != "REDIS_URL"},
        "HOST": "nonexistent.invalid",
        "PORT": str(port),
        "SWITCHBOARD_CONFIG": os.devnull,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(ROOT / "bot.py"),
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 2
    assert f"HOST=nonexistent.invalid: cannot listen on nonexistent.invalid:{port}" in err.decode()
