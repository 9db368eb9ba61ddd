"""Run ``python bot.py`` as a real subprocess, for crash tests, browser tests and the benchmark."""

from __future__ import annotations

import asyncio
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import IO, Any

import yaml

ROOT = Path(__file__).resolve().parent.parent

START_TIMEOUT = 60.0
"""Seconds a bot process may take to answer /readyz: a few on an idle machine, but more
than 20 on a loaded 2-core one (imports, Redis, a supervisor and its workers)."""

INTERRUPTED_SOONER = {
    "bot.core.sender.CALL_SECONDS": 5.0,
    "bot.core.sender.INTERRUPTED_AFTER": 10.0,
}
"""``BotProcess(constants=...)`` for a process that takes over sends a kill cut short in
their API call: their claims count as interrupted after 10 s instead of 30 s, its own API
calls bounded to 5 s, below that, as the shipped 20 s are below 30 s."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class BotProcess:
    """One bot process; ``env`` adds to a clean environment, ``config`` becomes its YAML file.

    The process's output goes to a temporary log file, shown by ``output()`` when a test fails.
    """

    def __init__(
        self,
        env: dict[str, str] | None = None,
        config: dict[str, Any] | None = None,
        port: int | None = None,
        args: tuple[str, ...] = (),
        open_files: int = 0,
        constants: dict[str, float] | None = None,
        without_config: bool = False,
    ) -> None:
        self.args = args
        self.script = ROOT / ("tests/lowered_bot.py" if constants else "bot.py")
        """``bot.py``, or with ``constants`` (``{"module.NAME": value}``) set lower first."""
        self.open_files = open_files
        """The process's limit on open files, when not 0 (soft and hard: it cannot raise it)."""
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._workdir = tempfile.TemporaryDirectory(prefix="switchboard-")
        self.log_path = Path(self._workdir.name) / "bot.log"
        config_path = Path(self._workdir.name) / "switchboard.yaml"
        if not without_config:
            config_path.write_text(yaml.safe_dump(config or {}), encoding="utf-8")
        self.cwd = Path(self._workdir.name) if without_config else ROOT
        """The project's folder, or with ``without_config`` a folder with no config file
        in it, nor ``SWITCHBOARD_CONFIG`` naming one."""
        base = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("WHATSAPP_", "TELEGRAM_", "TWILIO_", "REDIS_URL"))
        }
        self.env = {
            **base,
            "PORT": str(self.port),
            "SWITCHBOARD_CONFIG": str(config_path),
            "PYTHONUNBUFFERED": "1",
            **(env or {}),
        }
        if without_config:  # nor one from the environment of the tests
            del self.env["SWITCHBOARD_CONFIG"]
        if constants:
            self.env["SWITCHBOARD_TEST_CONSTANTS"] = json.dumps(constants)
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def start(self, timeout: float = START_TIMEOUT) -> BotProcess:
        self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, str(self.script), *self.args],
            cwd=self.cwd,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            preexec_fn=self._limits if self.open_files else None,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                said = self.output()
                self.close()
                raise RuntimeError(f"the bot exited with {self.process.returncode}:\n" + said)
            try:
                with urllib.request.urlopen(f"{self.url}/readyz", timeout=1) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.1)
        self.kill()  # else it outlives the test that gave up on it
        said = self.output()
        # Its log file and folder too: left open, they were reported as unraisable
        # warnings in whichever test ran next, and failed that one as well.
        self.close()
        raise TimeoutError(f"the bot did not become ready in {timeout:.0f} s:\n" + said)

    def _limits(self) -> None:
        """In the child, before it runs: its open files limited."""
        resource.setrlimit(resource.RLIMIT_NOFILE, (self.open_files, self.open_files))

    def kill(self) -> None:
        """SIGKILL: no cleanup of any kind, as in a crash."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self, timeout: float = 30.0) -> int:
        """SIGTERM, then wait for the graceful drain; the exit code."""
        if not self.process:
            return 0
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._log:
            self._log.close()
            self._log = None
        return self.process.returncode

    def output(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")[-20000:]

    def close(self) -> None:
        self.stop()
        self._workdir.cleanup()

    def __enter__(self) -> BotProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


def said(stderr: str) -> list[str]:
    """What a command's stderr says, a line each: a JSON log line (the bot's start, off a
    terminal) as its message, any other as written."""
    lines = []
    for line in stderr.splitlines():
        try:
            found = json.loads(line)
        except ValueError:
            found = None
        lines.append(found["event"] if isinstance(found, dict) and "event" in found else line)
    return lines


async def run_command(
    env: dict[str, str], *args: str, typed: str | None = None, timeout: float = 120
) -> tuple[int, str, str]:
    """``python bot.py ARGS`` to its end, as an operator runs it: exit code, stdout, stderr.
    ``typed`` is what the operator types at its prompts. A command still running after
    ``timeout`` seconds is killed, and fails the test: a hang is a failure, not a wait."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(ROOT / "bot.py"),
        *args,
        cwd=ROOT,
        env=env,
        stdin=asyncio.subprocess.PIPE if typed is not None else asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    given = typed.encode() if typed is not None else None
    try:
        out, err = await asyncio.wait_for(process.communicate(given), timeout)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise AssertionError(f"python bot.py {' '.join(args)} did not exit") from None
    return process.returncode or 0, out.decode(), err.decode()
