"""``admin import``, ``config check`` and ``config schema`` with their output on a full
disk (``> /dev/full``) printed a Python traceback (the import's as a critical log line,
its rows stored all the same), where the other admin commands said in one line that the
answer could not be written; ``--help`` and ``--version`` said nothing, status 0. With
stdout buffered (no ``PYTHONUNBUFFERED``), an admin command's answer failed only at the
exit: "Exception ignored ... OSError", status 120. Each says now, in one line, that the
answer could not be written, with status 1."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from redis.asyncio import Redis

from bot.model import Identity
from stores.profiles import ProfileStore
from stores.redis import Keys
from tests.botprocess import ROOT
from tests.test_admin_profiles import environment
from tests.test_import import contact, write_csv

SAID = (
    "switchboard: the answer could not be written (No space left on device); the command was done\n"
)


def into_a_full_disk(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    with open("/dev/full", "w") as full:
        return subprocess.run(
            [sys.executable, "bot.py", *args],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            check=False,
        )


def buffering(env: dict[str, str], buffered: bool) -> dict[str, str]:
    return {k: v for k, v in env.items() if k != "PYTHONUNBUFFERED"} if buffered else env


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("buffered", [False, True], ids=["unbuffered", "buffered"])
@pytest.mark.parametrize(
    "command",
    ["config schema", "config check", "admin services list", "--version", "admin import --help"],
)
async def test_a_commands_lost_answer_is_said_in_one_line(
    prefix: str, command: str, buffered: bool
) -> None:
    env = buffering({**environment(prefix), "PYTHONUNBUFFERED": "1"}, buffered)
    args = command.split() + ([os.devnull] if command == "config check" else [])
    done = await asyncio.to_thread(into_a_full_disk, env, *args)
    assert (done.returncode, done.stderr) == (1, SAID)


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("buffered", [False, True], ids=["unbuffered", "buffered"])
async def test_an_imports_lost_summary_is_said_in_one_line_and_the_rows_are_kept(
    real_redis: Redis, prefix: str, tmp_path: Path, buffered: bool
) -> None:
    path = write_csv(tmp_path / "contacts.csv", [contact(phone="07700900411")])
    env = buffering({**environment(prefix), "PYTHONUNBUFFERED": "1"}, buffered)
    done = await asyncio.to_thread(into_a_full_disk, env, "admin", "import", str(path))
    assert done.returncode == 1, done.stderr
    assert done.stderr.endswith(SAID)
    assert "Traceback" not in done.stderr and "OSError" not in done.stderr
    store = ProfileStore(real_redis, Keys(prefix))
    assert await store.lookup(Identity("phone", "+447700900411"))
