"""``REDIS_URL=rediss://...`` naming a Redis that speaks no TLS made ``serve`` and every
admin command wait for ever where redis-py set no connect timeout (before 8.0): the TLS
handshake waits for an answer that never comes, as the Redis reads the greeting as the
start of a command. Our connections now set their own (``CONNECT_TIMEOUT``), which the
URL's ``socket_connect_timeout`` still overrides, so the store is said to be out of
reach, in one line, exit 2, whatever the library's default."""

from __future__ import annotations

import pytest

from tests.config_run import environment, refusal_lines, run_bot


@pytest.mark.parametrize(
    ("args", "said"), [((), ""), (("admin", "inbox"), "switchboard: ")], ids=["serve", "admin"]
)
async def test_a_redis_without_tls_is_out_of_reach_in_one_line(
    private_redis: str, args: tuple[str, ...], said: str
) -> None:
    url = private_redis.replace("redis://", "rediss://", 1)
    code, output = await run_bot(environment(REDIS_URL=url), *args, timeout=120)
    assert code == 2, output
    assert "Traceback" not in output
    [line] = refusal_lines(output)
    assert line.startswith(f"{said}REDIS_URL={url}: cannot connect ("), line


async def test_the_urls_own_connect_timeout_wins(private_redis: str) -> None:
    url = private_redis.replace("redis://", "rediss://", 1) + "?socket_connect_timeout=0.5"
    # Four tries of the default's 5 s each would outlast the 15 s given.
    code, output = await run_bot(environment(REDIS_URL=url), "admin", "inbox", timeout=15)
    assert code == 2, output
    [line] = refusal_lines(output)
    assert line.startswith(f"switchboard: REDIS_URL={url}: cannot connect ("), line
