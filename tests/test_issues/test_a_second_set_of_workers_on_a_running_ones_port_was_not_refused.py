"""``serve --workers N`` started by mistake on the port of a running ``serve --workers``
was not refused: its workers share the port (SO_REUSEPORT), so it looked free; it wrote
its config file's services to the store, answered half the requests, and the running
bot went on delivering to its service after it stopped. A set of workers takes a port
nothing listens on, and refuses one that is taken before anything is written."""

from __future__ import annotations

from pathlib import Path

from redis.asyncio import Redis

from tests.botprocess import BotProcess
from tests.config_run import environment, run_bot
from tests.conftest import REDIS_URL

CONFIG = """services:
  - {name: newsvc, url: "http://127.0.0.1:9/hook", secret: new-secret-abcdef}
"""
WORKERS = ("serve", "--workers", "2")


async def test_a_second_set_of_workers_is_refused(
    real_redis: Redis, prefix: str, tmp_path: Path
) -> None:
    env = {"REDIS_URL": REDIS_URL, "SWITCHBOARD_KEY_PREFIX": prefix}
    running = BotProcess(env, args=WORKERS)
    try:
        running.start()
        config = tmp_path / "switchboard.yaml"
        config.write_text(CONFIG, encoding="utf-8")
        second = environment(
            config, PORT=str(running.port), REDIS_URL=REDIS_URL, SWITCHBOARD_KEY_PREFIX=prefix
        )
        code, out = await run_bot(second, *WORKERS)
        assert code == 2, out
        assert f"PORT={running.port}: cannot listen on" in out
        assert not await real_redis.exists(f"{prefix}svc:newsvc")
        names = [key async for key in real_redis.scan_iter(match=f"{prefix}*newsvc*")]
        assert names == []
    finally:
        running.close()
