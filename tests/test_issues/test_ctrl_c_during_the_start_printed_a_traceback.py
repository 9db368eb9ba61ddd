"""Ctrl-C while the bot was starting (a few seconds with Telegram, or a slow Redis)
printed two tracebacks, 63 lines, ending in ``KeyboardInterrupt``; SIGTERM at the same
moment stopped it quietly. It says it stopped during the start, in one line."""

from __future__ import annotations

import asyncio
import signal
import socket
import sys

from tests.botprocess import ROOT
from tests.config_run import environment


async def test_ctrl_c_during_the_start_says_so_in_one_line() -> None:
    with socket.socket() as silent:  # a Redis that takes the connection and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        env = environment(REDIS_URL=f"redis://127.0.0.1:{silent.getsockname()[1]}/0")
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            str(ROOT / "bot.py"),
            cwd=ROOT,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        assert process.stdout is not None
        seen = b""
        async with asyncio.timeout(60):
            while b"configuration file" not in seen:  # serving is under way: the store next
                line = await process.stdout.readline()
                assert line, seen.decode()
                seen += line
            process.send_signal(signal.SIGINT)
            rest = await process.stdout.read()
            code = await process.wait()
    said = (seen + rest).decode()
    assert code == 130, said
    assert "stopped during the start" in said
    assert "Traceback" not in said
