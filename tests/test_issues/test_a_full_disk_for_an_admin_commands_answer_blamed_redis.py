"""An admin command whose answer could not be written (the output on a full disk) said
"REDIS_URL=…: cannot connect (No space left on device)", exit 2, though it had been done:
a reply re-run then went twice, and a rotated token was never shown. The failure to write
is said as such."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import pytest
from redis.asyncio import Redis

from stores.redis import Keys
from stores.services import ServiceStore
from tests.botprocess import ROOT
from tests.config_run import environment
from tests.conftest import REDIS_URL


def list_into_a_full_disk(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    with open("/dev/full", "w") as full:
        return subprocess.run(
            [sys.executable, "bot.py", "admin", "services", "list"],
            cwd=ROOT,
            env=env,
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            check=False,
        )


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
async def test_an_answer_that_cannot_be_written_is_said_so(real_redis: Redis, prefix: str) -> None:
    store = ServiceStore(real_redis, Keys(prefix))
    await store.attach("web:site", "sales")
    env = environment(REDIS_URL=REDIS_URL, SWITCHBOARD_KEY_PREFIX=prefix)
    done = await asyncio.to_thread(list_into_a_full_disk, env)
    assert done.returncode == 1, done.stderr
    assert "could not be written" in done.stderr and "REDIS_URL" not in done.stderr
