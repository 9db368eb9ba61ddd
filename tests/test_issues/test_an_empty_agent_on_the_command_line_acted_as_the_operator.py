"""``python bot.py admin reply CONVERSATION TEXT --agent ""`` (a script's ``--agent
"$AGENT"`` with the variable unset) acted as the operator, an admin, without a word: the
reply went as ``operator`` and the audit trail named no one. An empty ``--agent`` is a
usage error now, as every other empty argument of the team's commands is."""

from __future__ import annotations

import pytest
from redis.asyncio import Redis

from tests.botprocess import run_command
from tests.test_admin_profiles import environment


@pytest.mark.parametrize("agent", ["", "   "])
async def test_an_empty_agent_is_refused(real_redis: Redis, prefix: str, agent: str) -> None:
    code, out, err = await run_command(
        environment(prefix), "admin", "claim", "c_0123456789abcdef0123", "--agent", agent
    )
    assert (code, out) == (2, ""), err
    assert "usage: python bot.py admin claim" in err
    assert "error: --agent is empty: give a team member's email, or leave it out" in err
