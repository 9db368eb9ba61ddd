"""Ctrl-C in the first second or two of any command (``admin inbox``), while its modules
were still being imported, printed a ``KeyboardInterrupt`` traceback and ended with -2;
later, it said so in one line, exit 130. It says so in one line from the start."""

from __future__ import annotations

import asyncio
import signal

from tests.config_run import environment, start_saying_imports, without_import_times
from tests.conftest import REDIS_URL


async def test_ctrl_c_among_the_imports_says_so_in_one_line() -> None:
    env = environment(REDIS_URL=REDIS_URL)
    child = await start_saying_imports(env, "admin", "inbox")
    assert child.stderr is not None and child.stdout is not None
    seen = b""
    async with asyncio.timeout(60):
        while b" aiohttp\n" not in seen:  # bot.cli.main's imports are under way
            line = await child.stderr.readline()
            assert line, seen.decode()
            seen += line
        child.send_signal(signal.SIGINT)
        rest = await child.stderr.read()
        code = await child.wait()
    said = without_import_times((seen + rest).decode())
    assert "Traceback" not in said, said
    assert code == 130, said
    assert "switchboard: interrupted" in said, said
