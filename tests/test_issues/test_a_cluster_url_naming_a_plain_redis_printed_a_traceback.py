"""``REDIS_URL=redis+cluster://host:port`` naming a Redis that is no Redis Cluster (the
machine's single Redis, its cluster support off) stopped ``serve`` and every ``admin``
command with redis-py's traceback and exit 1. It is a mistake in REDIS_URL, said in one
line naming it, with exit status 2, as the opposite one (``redis://`` naming a cluster's
node) is."""

from __future__ import annotations

from tests.botprocess import free_port, run_command
from tests.conftest import MAIN_PORT
from tests.test_cli_basics import environment

URL = f"redis+cluster://127.0.0.1:{MAIN_PORT}"


async def test_an_admin_command_says_the_redis_is_no_cluster() -> None:
    code, out, err = await run_command(environment(REDIS_URL=URL), "admin", "inbox")
    assert code == 2, (out, err)
    assert "Traceback" not in err
    assert err.strip().splitlines() == [
        f"switchboard: REDIS_URL={URL}: this Redis is no Redis Cluster: name it "
        "redis://host:port/0 (rediss:// over TLS)"
    ]


async def test_serve_stops_its_start_in_one_line() -> None:
    env = environment(REDIS_URL=URL, PORT=str(free_port()), LOG_FORMAT="text")
    code, _, err = await run_command(env, "serve")
    assert code == 2, err
    assert "Traceback" not in err
    assert f"REDIS_URL={URL}: this Redis is no Redis Cluster" in err
