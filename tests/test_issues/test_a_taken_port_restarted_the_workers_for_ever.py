"""``serve --workers 2`` on a port another program held started its workers again and
again (each with a traceback, 14 to 19 in 20 s), and each took shard leases before it
failed to listen, stalling a healthy deployment on the same Redis (deliveries 12 to 20 s
late). A single ``serve`` ended with an uncaught traceback. Both stop now, with one line
and status 2, and a worker lets go of the shards it took."""

from __future__ import annotations

import socket

import pytest
from redis.asyncio import Redis

from tests.botprocess import BotProcess
from tests.conftest import REDIS_URL


@pytest.mark.parametrize("workers", [("serve",), ("serve", "--workers", "2")])
async def test_a_taken_port_stops_the_start_in_one_line(
    prefix: str, real_redis: Redis, workers: tuple[str, ...]
) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        env = {"REDIS_URL": REDIS_URL, "SWITCHBOARD_KEY_PREFIX": prefix}
        bot = BotProcess(env, port=port, args=workers)
        try:
            with pytest.raises(RuntimeError, match="exited with 2") as failure:
                bot.start()
        finally:
            bot.close()
        said = str(failure.value)
        assert f"PORT={port}: cannot listen on 127.0.0.1:{port}" in said
        assert "Traceback" not in said
        assert "starting another" not in said
    leases = [await real_redis.get(f"{prefix}{{lease:shard:{n}}}") for n in range(8)]
    assert leases == [None] * 8  # let go of at once, not held until they lapse
