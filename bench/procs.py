"""Child processes of the benchmark: started with a READY handshake, always ended, CPU read.

Both ends: ``Child`` is the parent's handle, ``until_signalled`` and ``secret_from`` serve
the helper processes themselves.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


async def until_signalled() -> None:
    """Return on SIGTERM or SIGINT: how the benchmark stops its helper processes."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()


def secret_from(variable: str) -> str:
    """A secret from the environment, so it never shows in process listings; exit if unset."""
    secret = os.environ.get(variable)
    if not secret:
        raise SystemExit(f"environment variable {variable} is empty or unset")
    return secret


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name; None once the process is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name in parentheses may hold spaces; the fields we want follow it.
    return stat.rsplit(")", 1)[1].split()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a live process, from /proc (0.0 once it is gone)."""
    fields = _stat(pid)
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS if fields else 0.0


def _started(pid: int) -> int | None:
    """When the process started (clock ticks since boot): tells a reused pid apart."""
    fields = _stat(pid)
    return int(fields[19]) if fields else None


def process_tree(root: int) -> list[int]:
    """``root`` and every live process below it (children, grandchildren ...), root first."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))):
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    tree, index = [root], 0
    while index < len(tree):
        tree += sorted(children.get(tree[index], []))
        index += 1
    return tree


class ProcessTree:
    """A server and the processes it started (workers, multiprocessing's resource tracker).

    The members are fixed by ``refresh``, called once the server is up, so that CPU is read
    from the same processes at the start and at the end of a window.
    """

    def __init__(self, root: int) -> None:
        self.root = root
        self.members: dict[int, int | None] = {root: _started(root)}

    def refresh(self) -> list[int]:
        self.members = {pid: _started(pid) for pid in process_tree(self.root)}
        return list(self.members)

    def pids(self) -> set[int]:
        return set(self.members)

    def cpu(self) -> float:
        return sum(cpu_seconds(pid) for pid in self.members)

    def cpu_by_process(self) -> dict[int, float]:
        return {pid: cpu_seconds(pid) for pid in self.members}

    def kill_leftovers(self) -> None:
        """SIGKILL members still alive after the root stopped: workers it left behind."""
        for pid, started in self.members.items():
            if pid != self.root and started is not None and _started(pid) == started:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)


def all_processes() -> dict[int, tuple[str, float]]:
    """Every live process: ``{pid: (short command line, CPU seconds)}``."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        words = [Path(argv[0].decode(errors="replace")).name] if argv and argv[0] else []
        words += [word.decode(errors="replace") for word in argv[1:3] if word]
        found[int(entry.name)] = (" ".join(words) or "[kernel]", cpu_seconds(int(entry.name)))
    return found


def machine_busy_seconds() -> float:
    """CPU time spent by everything on the machine, all cores, since boot (/proc/stat)."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS


class Child:
    """A helper process that prints ``READY <url>`` once it serves; its output goes to a log.

    A log file rather than a pipe: a pipe nobody drains would stall a chatty child mid-run.
    """

    def __init__(
        self, name: str, argv: list[str], logs: Path, env: dict[str, str], ready: str = "READY "
    ) -> None:
        self.name = name
        self.argv = argv
        self.ready = ready
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
                if line.startswith("READY ") and self.ready == "READY ":
                    self.url = line.split(" ", 1)[1].strip()
                    return self.url
                if self.ready != "READY " and self.ready in line:
                    return self.url
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with {self.process.returncode}:\n" + self.output()
                )
            time.sleep(0.05)
        raise TimeoutError(f"{self.name} did not get ready in {timeout}s:\n{self.output()}")

    @classmethod
    def redis_server(cls, logs: Path, port: int) -> Child:
        """A private Redis, so INFO commandstats and Redis's CPU count this run alone."""
        child = cls(
            "redis",
            [
                "redis-server",
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            logs,
            {},
            ready="Ready to accept connections",
        )
        child.url = f"redis://127.0.0.1:{port}/0"
        return child

    def cpu(self) -> float:
        return cpu_seconds(self.pid) if self.process else 0.0

    def output(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")[-20000:]
        except OSError:
            return ""

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM, then SIGKILL if it lingers: never leave a process behind, nor its children."""
        if self.process is not None and self.process.poll() is None:
            tree = ProcessTree(self.process.pid)
            tree.refresh()
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            tree.kill_leftovers()
        if self._log is not None:
            self._log.close()
            self._log = None
