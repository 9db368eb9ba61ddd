"""``python bot.py config schema | head`` ended with a BrokenPipeError traceback on
stderr (and the "Exception ignored" of the last flush): the reader had gone away. A
command whose reader goes away stops quietly."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_reader_that_goes_away_gets_no_traceback() -> None:
    # ``true`` reads nothing and is gone long before the command writes: a closed pipe.
    shell = f"{sys.executable} bot.py config schema | true; echo ${{PIPESTATUS[0]}}"
    done = subprocess.run(
        ["bash", "-c", shell], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.stdout.strip() == "1"  # the command's own status: it stopped, quietly
    assert "Traceback" not in done.stderr and "BrokenPipeError" not in done.stderr, done.stderr
