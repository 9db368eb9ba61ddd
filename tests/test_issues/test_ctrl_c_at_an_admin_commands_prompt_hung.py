"""Ctrl-C at the confirmation prompt of ``admin detach`` (or ``admin forget``) hung: the
prompt's thread held the exit until Enter, and a second Ctrl-C printed a traceback; and
Ctrl-C during any other admin command printed one. Ctrl-C ends an admin command at once,
in one line, exit 130, and a detach not confirmed detaches nothing."""

from __future__ import annotations

import asyncio
import os
import signal
import sys

from redis.asyncio import Redis

from stores.redis import Keys
from stores.services import ServiceStore
from tests.botprocess import ROOT
from tests.config_run import environment
from tests.conftest import REDIS_URL

NUMBER = "wa:106540352242922"


async def at_the_prompt(
    real_redis: Redis, prefix: str
) -> tuple[ServiceStore, asyncio.subprocess.Process, bytes]:
    """``admin detach sales`` of a number support and sales are attached to, at its
    prompt: the store, the command's process and what it said so far."""
    store = ServiceStore(real_redis, Keys(prefix))
    await store.attach(NUMBER, "support")
    await store.attach(NUMBER, "sales")
    env = environment(REDIS_URL=REDIS_URL, SWITCHBOARD_KEY_PREFIX=prefix)
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "bot.py",
        "admin",
        "detach",
        "sales",
        cwd=ROOT,
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    assert child.stdout is not None
    said = b""
    async with asyncio.timeout(30):
        while b"anything else to stop" not in said:
            chunk = await child.stdout.read(256)
            assert chunk, said
            said += chunk
    return store, child, said


async def test_ctrl_c_at_the_prompt_ends_the_command(real_redis: Redis, prefix: str) -> None:
    store, child, said = await at_the_prompt(real_redis, prefix)  # and nobody types
    assert child.stdout is not None
    try:
        os.kill(child.pid, signal.SIGINT)
        async with asyncio.timeout(10):
            rest = await child.stdout.read()
            code = await child.wait()
    finally:
        if child.returncode is None:
            child.kill()
            await child.wait()
    assert code == 130, (code, said + rest)
    assert b"Traceback" not in rest and b"interrupted" in rest
    assert await store.order(NUMBER) == ["support", "sales"]


async def test_the_code_typed_at_the_prompt_confirms(real_redis: Redis, prefix: str) -> None:
    store, child, said = await at_the_prompt(real_redis, prefix)
    assert child.stdin is not None and child.stdout is not None
    async with asyncio.timeout(30):
        code = said.split(b"Type ", 1)[1].split(b" ", 1)[0]
        child.stdin.write(code + b"\n")
        await child.stdin.drain()
        rest = await child.stdout.read()
        assert await child.wait() == 0, said + rest
    assert await store.order(NUMBER) == ["support"]
