"""``python bot.py`` with a given config file and environment, to its refusal: the exit
status and what it printed, as an operator sees them."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

from tests.botprocess import ROOT, free_port

CHANNELS = ("WHATSAPP_", "TELEGRAM_", "TWILIO_", "SMS_", "REDIS_URL", "SWITCHBOARD_", "PUBLIC_URL")


def environment(config: Path | str = os.devnull, **variables: str) -> dict[str, str]:
    """A clean environment (no channel, no store) with ``config`` as the YAML file."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(CHANNELS)}
    return {**base, "PORT": str(free_port()), "SWITCHBOARD_CONFIG": str(config), **variables}


async def run_bot(
    env: dict[str, str], *args: str, cwd: Path = ROOT, timeout: float = 60
) -> tuple[int, str]:
    """Run ``python bot.py ARGS`` until it exits: its status and its output (both streams).
    A bot that starts instead of refusing is stopped, and fails the test."""
    code, out, _ = await _run(env, args, cwd, timeout, together=True)
    return code, out


async def config_check(
    path: Path | str, timeout: float = 30, **variables: str
) -> tuple[int, str, str]:
    """``python bot.py config check PATH`` in a clean environment with ``variables`` to its
    end: exit status, stdout, stderr. One that does not end within ``timeout`` seconds is
    killed, and fails the test."""
    return await _run(environment(**variables), ("config", "check", str(path)), ROOT, timeout)


async def _run(
    env: dict[str, str], args: tuple[str, ...], cwd: Path, timeout: float, *, together: bool = False
) -> tuple[int, str, str]:
    """``python bot.py ARGS`` to its end: status, stdout and stderr (stdout holding both
    when ``together``); killed, failing the test, when it runs past ``timeout`` seconds."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(ROOT / "bot.py"),
        *args,
        cwd=cwd,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT if together else asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise AssertionError(f"python bot.py {' '.join(args)} did not end in {timeout} s") from None
    return process.returncode or 0, out.decode(), (err or b"").decode()


async def start_saying_imports(env: dict[str, str], *args: str) -> asyncio.subprocess.Process:
    """``python -X importtime bot.py ARGS``: its stderr says each module as it is imported
    (lines that start ``import time:``), so a test knows what the command is doing."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-X",
        "importtime",
        "bot.py",
        *args,
        cwd=ROOT,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


def without_import_times(output: str) -> str:
    """``output`` without the lines ``-X importtime`` adds."""
    return "\n".join(line for line in output.splitlines() if not line.startswith("import time:"))


def refusal_lines(output: str) -> list[str]:
    """The output without the log lines (JSON ones, or text ones like ``2026-... INFO ...``),
    but for a refusal of the start, which a JSON log says as a ``critical`` line: its event."""
    found = []
    for line in output.splitlines():
        if line.startswith('{"timestamp"'):
            logged = json.loads(line)
            if logged["level"] == "critical" and logged["logger"] == "switchboard":
                found.append(logged["event"])
        elif line and not line[:4].isdigit():
            found.append(line)
    return found
