"""py-spy on the bot during the measured load: a flame graph, and a text summary of the stacks.

Two samplers run side by side, because py-spy writes one format per recording: the SVG for
people and the raw collapsed stacks that ``summarize`` reads.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

# Where a sample's time goes, judged by the first rule that any frame of its stack matches.
# Ordered from the most specific: a webhook handler's Redis call counts as the webhook's.
STAGES: tuple[tuple[str, str, str], ...] = (
    ("webhook handler (verify, parse, dedupe + append)", "bot/http/app.py", "whatsapp_webhook"),
    ("pipeline (stitch, thread, automation, queue events)", "bot/core/pipeline.py", ""),
    ("sender (replies to the Graph API)", "bot/core/sender.py", ""),
    ("fan-out (deliveries to subscribers)", "bot/core/couriers.py", ""),
    ("fan-out (deliveries to subscribers)", "bot/core/fanout.py", ""),
    ("fan-out (deliveries to subscribers)", "adapters/webhooks.py", ""),
    ("shard leases", "bot/core/workers.py", "supervise"),
    ("stream reads and acks", "bot/core/workers.py", "_consume"),
    ("aiohttp server (HTTP parsing, responses)", "aiohttp/web_", ""),
    ("aiohttp client (connections, responses)", "aiohttp/client", ""),
    ("aiohttp client (connections, responses)", "aiohttp/connector", ""),
    ("asyncio event loop (scheduling, sockets)", "asyncio/", ""),
)

# What kind of code a sample's innermost frame is: the library that burns the CPU itself.
LIBRARIES: tuple[tuple[str, str], ...] = (
    ("redis/", "redis-py (commands, connections, parsing)"),
    ("hiredis", "redis-py (commands, connections, parsing)"),
    ("aiohttp/", "aiohttp"),
    ("yarl/", "aiohttp"),
    ("multidict/", "aiohttp"),
    ("json/", "json"),
    ("dataclasses.py", "dataclasses (asdict, init)"),
    ("phonenumbers/", "phonenumbers"),
    ("hmac.py", "hmac / hashlib"),
    ("hashlib.py", "hmac / hashlib"),
    ("asyncio/", "asyncio"),
    ("selectors.py", "asyncio"),
    ("bot/", "switchboard code"),
    ("stores/", "switchboard code"),
    ("adapters/", "switchboard code"),
    ("handlers/", "switchboard code"),
)


OUR_PACKAGES = ("bot/", "stores/", "adapters/", "handlers/")
ENTRY_POINT = "bot/cli/main.py"
"""Under every sample, so it says nothing and is left out of the inclusive table."""


def py_spy() -> str:
    """The py-spy binary beside this interpreter, else the one on PATH."""
    local = Path(sys.executable).with_name("py-spy")
    found = str(local) if local.exists() else shutil.which("py-spy")
    if not found:
        raise RuntimeError("py-spy is not installed: pip install py-spy")
    return found


class Profiler:
    """Samples one process until ``stop`` (or ``max_seconds``), then writes both outputs."""

    def __init__(self, pid: int, out_dir: Path, max_seconds: int, rate: int = 100) -> None:
        self.pid = pid
        self.rate = rate
        self.svg_path = out_dir / "profile.svg"
        self.raw_path = out_dir / "profile-raw.txt"
        self.log_path = out_dir / "py-spy.log"
        self.max_seconds = max_seconds
        self._processes: list[subprocess.Popen[bytes]] = []
        self.started = 0.0
        self.stopped = 0.0

    def start(self) -> None:
        common = [
            py_spy(),
            "record",
            "--pid",
            str(self.pid),
            "--rate",
            str(self.rate),
            "--duration",
            str(self.max_seconds),
        ]
        with self.log_path.open("wb") as log:
            for extra in (
                ["-o", str(self.svg_path)],
                ["--format", "raw", "--nolineno", "-o", str(self.raw_path)],
            ):
                self._processes.append(
                    subprocess.Popen(common + extra, stdout=log, stderr=subprocess.STDOUT)
                )
        time.sleep(0.5)  # attaching takes a moment; a refusal (no ptrace) shows by then
        if any(process.poll() is not None for process in self._processes):
            self.stop()
            raise RuntimeError("py-spy could not attach:\n" + self.log_path.read_text())
        self.started = time.time()

    def stop(self) -> None:
        """SIGINT makes py-spy write what it has; a sampler that hangs is killed."""
        self.stopped = time.time()
        for process in self._processes:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
        for process in self._processes:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._processes.clear()


def _frames(stack: str) -> list[tuple[str, str]]:
    """``name (file)`` frames, root first, as ``(name, file)``."""
    frames = []
    for frame in stack.split(";"):
        name, _, file = frame.rpartition(" (")
        frames.append((name, file.rstrip(")")))
    return frames


def _stage(frames: list[tuple[str, str]]) -> str:
    for stage, file_part, name in STAGES:
        if any(file_part in file and (not name or name == fname) for fname, file in frames):
            return stage
    return "other"


def _ours(file: str) -> bool:
    return file.startswith(OUR_PACKAGES) and file != ENTRY_POINT


def _library(file: str) -> str:
    return next((label for part, label in LIBRARIES if part in file), "other (stdlib, ...)")


def summarize(raw_path: Path, seconds: float, rate: int, top: int = 15) -> dict[str, Any]:
    """Busy share of the sampled time, and where it goes: by stage, library and function."""
    self_time: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    stages: Counter[str] = Counter()
    libraries: Counter[str] = Counter()
    total = 0
    for line in raw_path.read_text(encoding="utf-8").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = _frames(stack)
        total += count
        name, file = frames[-1]
        self_time[f"{name} ({file})"] += count
        libraries[_library(file)] += count
        stages[_stage(frames)] += count
        # Inclusive time of the runtime's own functions: which of them is worth a look.
        for label in {f"{fname} ({ffile})" for fname, ffile in frames if _ours(ffile)}:
            inclusive[label] += count

    def shares(counter: Counter[str], limit: int | None = None) -> list[tuple[str, float]]:
        return [(label, count / total) for label, count in counter.most_common(limit)]

    # py-spy leaves out idle samples (waiting in epoll), so samples / (rate x time) is the
    # share of the wall time the bot's one thread was busy.
    expected = max(seconds * rate, 1.0)
    return {
        "samples": total,
        "seconds": round(seconds, 2),
        "busy_share": min(total / expected, 1.0) if total else 0.0,
        "by_stage": shares(stages) if total else [],
        "by_library": shares(libraries) if total else [],
        "top_self": shares(self_time, top) if total else [],
        "top_inclusive": shares(inclusive, top) if total else [],
    }


def render(summary: dict[str, Any]) -> str:
    """The summary as markdown."""
    lines = [
        f"py-spy: {summary['samples']} busy samples over {summary['seconds']} s; the bot's "
        f"thread was busy {summary['busy_share']:.0%} of the time.",
        "",
    ]
    for key, title in (
        ("by_stage", "Where the time goes (stage)"),
        ("by_library", "Which code runs (innermost frame)"),
        ("top_self", "Top functions, self time"),
        ("top_inclusive", "Top Switchboard functions, inclusive time"),
    ):
        lines += [f"| {title} | share |", "|---|---:|"]
        lines += [f"| `{label}` | {share:.1%} |" for label, share in summary[key]]
        lines.append("")
    return "\n".join(lines)
