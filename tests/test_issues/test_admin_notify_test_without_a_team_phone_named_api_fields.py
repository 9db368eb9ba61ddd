"""``python bot.py admin notify-test ID`` with no team member's phone in the config was
refused in the API's words: "name 'members' or give 'to'", which the command line has
neither of (it has MEMBER and ``--to``). It says what to do in its own words
now, as ``/notify test`` does in the chat's."""

from __future__ import annotations

import re

from redis.asyncio import Redis

from tests.botprocess import run_command
from tests.test_admin_profiles import environment


async def test_the_refusal_names_the_command_lines_arguments(
    real_redis: Redis, prefix: str
) -> None:
    env = environment(prefix)
    code, out, err = await run_command(
        env, "admin", "notify", "--number", "web", "--topic", "offers", "--draft", "--text", "Hi"
    )
    assert code == 0, (out, err)
    found = re.search(r"ntf_\w+", out)
    assert found, out
    code, out, err = await run_command(env, "admin", "notify-test", found.group(0))
    assert code == 2, (out, err)
    assert "'members'" not in err and "'to'" not in err, err
    assert err.strip() == (
        "switchboard: no team member has a phone in the config (a member's phone: under "
        "team:); or give --to PHONE"
    )
