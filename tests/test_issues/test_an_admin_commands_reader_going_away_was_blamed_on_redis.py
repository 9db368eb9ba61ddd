"""``python bot.py admin services list | head -1`` said "REDIS_URL=…: cannot connect
([Errno 32] Broken pipe)" and exited 2, with Redis up all along: the closed pipe of the
output's reader was taken for the store's failure. It stops quietly, as ``config schema
| head`` does."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import REDIS_URL

ROOT = Path(__file__).resolve().parents[2]


def test_an_admin_commands_reader_that_goes_away_is_no_store_failure() -> None:
    shell = f"{sys.executable} bot.py admin services list | true; echo ${{PIPESTATUS[0]}}"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("WHATSAPP_", "TELEGRAM_", "TWILIO_", "SWITCHBOARD_"))
    } | {"REDIS_URL": REDIS_URL, "SWITCHBOARD_KEY_PREFIX": "pipe-test:"}
    done = subprocess.run(
        ["bash", "-c", shell],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.stdout.strip() == "1", done.stderr
    assert "cannot connect" not in done.stderr and "Traceback" not in done.stderr, done.stderr
