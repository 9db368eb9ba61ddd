"""``admin services attach sales`` for a new service, its ``--url`` and ``--secret-env``
forgotten, answered only "no service named 'sales'" (status 1): the operator, who was
making it, was not told what a new service needs, as the same command with ``--mask``
alone was. It says so now, and nothing is attached."""

from __future__ import annotations

from redis.asyncio import Redis

from tests.botprocess import run_command
from tests.conftest import REDIS_URL
from tests.test_cli_basics import environment


async def test_a_new_service_without_its_url_is_told_what_it_needs(
    prefix: str, real_redis: Redis
) -> None:
    env = environment(REDIS_URL=REDIS_URL, SWITCHBOARD_KEY_PREFIX=prefix)
    code, out, err = await run_command(env, "admin", "services", "attach", "sales")
    assert code == 2, (out, err)
    assert "no service named 'sales': a new service needs --url and --secret-env" in err
    assert "Traceback" not in err
    code, out, err = await run_command(env, "admin", "services", "list")
    assert code == 0, err
    assert "sales" not in out
