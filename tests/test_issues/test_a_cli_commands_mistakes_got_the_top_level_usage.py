"""An admin command given an argument too many (``admin claim c_… extra``, ``admin inbox
5 6``) was answered with the top-level usage line, ``usage: python bot.py [-h]
[--version] {serve,admin,config} ...``, where every other mistake gets the command's own;
and ``--agent`` took any text (``--agent notanemail``), which the claim and the audit
trail then named as the acting team member."""

from __future__ import annotations

import pytest
from redis.asyncio import Redis

from tests.botprocess import run_command
from tests.test_admin_profiles import environment


@pytest.mark.parametrize(
    ("argv", "usage"),
    [
        (("admin", "claim", "c_0123456789", "extra"), "usage: python bot.py admin claim"),
        (("admin", "inbox", "5", "6"), "usage: python bot.py admin inbox"),
        (("admin", "services", "list", "extra"), "usage: python bot.py admin services list"),
    ],
)
async def test_an_argument_too_many_gets_the_commands_usage(
    real_redis: Redis, prefix: str, argv: tuple[str, ...], usage: str
) -> None:
    code, out, err = await run_command(environment(prefix), *argv)
    assert code == 2 and out == "", err
    assert err.startswith(usage) and "unrecognized arguments" in err, err


async def test_agent_is_a_team_members_email(real_redis: Redis, prefix: str) -> None:
    env = environment(prefix)
    code, _, err = await run_command(env, "admin", "claim", "--agent", "notanemail", "c_0123456")
    assert code == 2 and "--agent is the acting team member's email" in err, err
    assert "usage: python bot.py admin claim" in err
    assert await real_redis.lrange(f"{prefix}team:audit", 0, -1) == []
