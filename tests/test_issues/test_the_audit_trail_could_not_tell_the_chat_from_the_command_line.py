"""The audit trail kept no word of where a command was run: ``/audit`` in the team chat
showed an operator's ``admin detach`` as ``/detach …``, and ``admin audit`` showed a
member's ``/note`` from the chat as ``python bot.py admin note``. An entry says when its
command was run on the command line, and each is shown as it was run."""

from __future__ import annotations

from tests.botprocess import run_command
from tests.conftest import BotFactory
from tests.test_admin_profiles import environment
from tests.test_team_commands import ADMIN, VIEWER, team


async def test_each_entry_says_where_its_command_was_run(make_bot: BotFactory, prefix: str) -> None:
    t = await team(make_bot)
    assert "needs the agent role" in await t.run(VIEWER, f"/note {t.cid} call back")
    code, _, err = await run_command(environment(prefix), "admin", "role")
    assert code == 0, err
    trail = await t.run(ADMIN, "/audit 3")
    lines = trail.split("\n")
    assert lines[0].endswith(" UTC operator on the command line: /role - done"), trail
    assert lines[1].endswith(" UTC vic@example.com: /note - refused: role viewer"), trail
    code, out, err = await run_command(environment(prefix), "admin", "audit", "3")
    assert code == 0, err
    assert "vic@example.com: /note - refused: role viewer" in out, out
    assert "admin note" not in out, out
