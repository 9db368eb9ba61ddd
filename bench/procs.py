"""Child processes of the benchmark: started with a READY handshake, always ended, CPU read."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a live process, from /proc (0.0 once it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    # The command name in parentheses may hold spaces; the fields we want follow it.
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


class Child:
    """A helper process that prints ``READY <url>`` once it serves; its output goes to a log.

    A log file rather than a pipe: a pipe nobody drains would stall a chatty child mid-run.
    """

    def __init__(self, name: str, argv: list[str], logs: Path, env: dict[str, str]) -> None:
        self.name = name
        self.argv = argv
        self.env = {**os.environ, "PYTHONUNBUFFERED": "1", **env}
        self.log_path = logs / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.url = ""
        self._log: IO[bytes] | None = None

    @classmethod
    def python(
        cls, name: str, module: str, args: list[str], logs: Path, env: dict[str, str]
    ) -> Child:
        return cls(name, [sys.executable, "-m", module, *args], logs, env)

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self, timeout: float = 20.0) -> str:
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            self.argv, cwd=ROOT, env=self.env, stdout=self._log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.output().splitlines():
                if line.startswith("READY "):
                    self.url = line.split(" ", 1)[1].strip()
                    return self.url
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with {self.process.returncode}:\n" + self.output()
                )
            time.sleep(0.05)
        raise TimeoutError(f"{self.name} did not get ready in {timeout}s:\n{self.output()}")

    def cpu(self) -> float:
        return cpu_seconds(self.pid) if self.process else 0.0

    def output(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")[-20000:]
        except OSError:
            return ""

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM, then SIGKILL if it lingers: never leave a process behind."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None
