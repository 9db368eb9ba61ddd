"""README says a refused command is kept in the audit trail, and the trail keeps who
attached, detached, erased and changed roles; but nothing read it: an admin could see it
only with redis-cli. ``/audit [n]`` (admins) and ``python bot.py admin audit [N]`` show
its latest entries, the newest first."""

from __future__ import annotations

from tests.botprocess import run_command
from tests.conftest import BotFactory
from tests.test_admin_profiles import environment
from tests.test_team_commands import ADMIN, AGENT, VIEWER, team


async def test_an_admin_reads_the_audit_trail(make_bot: BotFactory, prefix: str) -> None:
    t = await team(make_bot)
    assert "needs the admin role" in await t.run(VIEWER, "/role vic@example.com admin")
    assert "needs the admin role" in await t.run(AGENT, "/audit")
    said = await t.run(ADMIN, "/audit 5")
    first, second = said.split("\n")[:2]
    assert first.endswith(" UTC bob@example.com: /audit - refused: role agent"), said
    assert second.endswith(" UTC vic@example.com: /role - refused: role viewer"), said
    assert (await t.run(ADMIN, "/audit 1")).count("\n") == 0
    assert (await t.run(ADMIN, "/audit 51")).startswith("N is a number from 1 to 50")
    code, out, err = await run_command(environment(prefix), "admin", "audit", "2")
    assert code == 0, (out, err)
    lines = out.splitlines()
    assert len(lines) == 2 and lines[0].endswith(" - refused: N is a number from 1 to 50"), out
