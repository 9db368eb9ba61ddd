"""``python bot.py admin dead-letters SERVICE`` printed nothing at all when the service had
no dead letters, so an operator could not tell "none" from a command that did nothing.
It says so now, as ``--inbound`` and ``--outbox`` do."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from redis.asyncio import Redis

from tests.botprocess import run_command
from tests.conftest import REDIS_URL


async def test_a_service_without_dead_letters_says_so(
    real_redis: Redis, prefix: str, tmp_path: Path
) -> None:
    config = tmp_path / "switchboard.yaml"  # a service of the config file is a known one
    secret = secrets.token_hex(16)
    config.write_text(
        f"services: [{{name: support, url: 'http://127.0.0.1:9/hook', secret: {secret}}}]\n"
    )
    env = {
        **os.environ,
        "REDIS_URL": REDIS_URL,
        "SWITCHBOARD_KEY_PREFIX": prefix,
        "SWITCHBOARD_CONFIG": str(config),
    }
    for args, said in (
        (("support",), "no dead letters of support"),
        (("--inbound",), "no inbound dead letters"),
        (("--outbox",), "no outbox dead letters"),
        (("support", "--replay"), "0 dead letters of support are queued again"),
    ):
        code, out, err = await run_command(env, "admin", "dead-letters", *args)
        assert (code, out.strip()) == (0, said), err
