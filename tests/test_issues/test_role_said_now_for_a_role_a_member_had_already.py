"""``/role bob@example.com agent`` for a member who was an agent already answered "is
agent now.", as if it had changed something; it says they are one already."""

from __future__ import annotations

from tests.conftest import BotFactory
from tests.test_team_commands import ADMIN, team


async def test_a_role_given_again_is_said_to_be_had_already(make_bot: BotFactory) -> None:
    t = await team(make_bot)
    assert await t.run(ADMIN, "/role bob@example.com agent") == "bob@example.com is agent now."
    assert await t.run(ADMIN, "/role bob@example.com agent") == "bob@example.com is agent already."
    said = await t.run(ADMIN, "/role bob@example.com viewer")
    assert said == "bob@example.com is viewer now (was agent).", said
