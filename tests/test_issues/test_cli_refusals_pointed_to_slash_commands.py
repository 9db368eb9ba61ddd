"""``python bot.py admin stats 15550000000`` for a number the bot does not serve answered
"No number '15550000000'; /stats lists them.", and ``admin attach crm 1555…`` pointed to
"/services": the command line's refusals now point to its own commands."""

from __future__ import annotations

from redis.asyncio import Redis

from tests.botprocess import run_command
from tests.test_admin_profiles import environment


async def test_a_refusal_points_to_the_command_line(real_redis: Redis, prefix: str) -> None:
    code, out, err = await run_command(environment(prefix), "admin", "stats", "15550000000")
    assert code == 1, (out, err)
    assert "python bot.py admin stats lists them" in err
    assert " /stats" not in err
    code, out, err = await run_command(
        environment(prefix), "admin", "attach", "nosuchservice", "15550000000"
    )
    assert code == 1, (out, err)
    assert "/services" not in err and "python bot.py admin services list" in err, err
