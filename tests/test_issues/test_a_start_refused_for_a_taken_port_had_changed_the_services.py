"""A second ``python bot.py`` started by mistake on the port of a running one, with a
config file of its own, was refused ("PORT=…: cannot listen on …, address already in
use", exit 2), but only after its start had written its file's services to the store:
the running bot then delivered to the new service, and to the changed URL of an old one.
The port is looked at before anything is written: a refused start changes nothing."""

from __future__ import annotations

import socket
from pathlib import Path

from redis.asyncio import Redis

from tests.config_run import environment, run_bot
from tests.conftest import REDIS_URL

CONFIG = """services:
  - {name: newsvc, url: "http://127.0.0.1:9/hook", secret: new-secret-abcdef}
"""


async def test_a_refused_start_writes_nothing(
    real_redis: Redis, prefix: str, tmp_path: Path
) -> None:
    config = tmp_path / "switchboard.yaml"
    config.write_text(CONFIG, encoding="utf-8")
    with socket.socket() as running:  # the port of the bot that runs
        running.bind(("127.0.0.1", 0))
        running.listen()
        port = running.getsockname()[1]
        env = environment(
            config, PORT=str(port), REDIS_URL=REDIS_URL, SWITCHBOARD_KEY_PREFIX=prefix
        )
        code, out = await run_bot(env)
    assert code == 2, out
    assert f"PORT={port}: cannot listen on" in out
    assert [key async for key in real_redis.scan_iter(match=f"{prefix}*")] == []
