"""``config check`` (and ``admin import``'s summary) crashed with a traceback printing a
file name that is not UTF-8 (``\\xff.yaml``) under a UTF-8 locale, where Python's output
refuses what cannot be encoded; the rows of an import were stored, its summary lost. A
file's name is any bytes the system allows: it is printed as it came."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.botprocess import ROOT


def test_a_name_that_is_not_utf_8_is_printed_as_it_came(tmp_path: Path) -> None:
    name = os.fsencode(tmp_path) + b"/\xff.yaml"
    with open(name, "wb") as config:
        config.write(b"automation:\n  welcome: Hello!\n")
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}  # as under any xx_XX.UTF-8 locale
    done = subprocess.run(
        [sys.executable, "bot.py", "config", "check", os.fsdecode(name)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert b"Traceback" not in done.stderr
    assert name + b": valid" in done.stdout
