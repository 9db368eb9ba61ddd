"""``--agent`` of an admin command knew the config file's ``team:`` alone: a member
``admin role`` had made an agent was refused as not on the team, and one it had taken off
the team (their commands refused) still acted, with the operator's every right, named in
the audit. The member acts with their role now, the config's or ``admin role``'s."""

from __future__ import annotations

from tests.config_run import environment, run_bot
from tests.conftest import REDIS_URL, BotFactory
from tests.test_api import shared_number


async def test_agent_is_the_team_as_admin_role_keeps_it(make_bot: BotFactory, prefix: str) -> None:
    shared = await shared_number(make_bot)
    env = environment(REDIS_URL=REDIS_URL, SWITCHBOARD_KEY_PREFIX=prefix)

    async def admin(*args: str) -> tuple[int, str]:
        return await run_bot(env, "admin", *args)

    assert (await admin("role", "boss@example.com", "admin"))[0] == 0
    assert (await admin("role", "new@example.com", "agent"))[0] == 0
    code, out = await admin("note", shared.conversation, "from new", "--agent", "new@example.com")
    assert code == 0, out
    assert (await admin("role", "new@example.com", "none"))[0] == 0
    code, out = await admin("note", shared.conversation, "again", "--agent", "new@example.com")
    assert code == 2 and "not on the team" in out, out
    notes = await shared.call("sales", "GET", shared.path("notes"))
    assert [note["text"] for note in notes.json["notes"]] == ["from new"]
