"""A member ``/role tg:99999 viewer`` added could never be taken off the team: ``/role
99999 none`` was refused ("not a role"), and they kept reading customers' profiles and
the inbox. ``none`` takes a member off the team now: one /role added is gone, and a
member of the config is listed as ``none`` (their commands refused) until the config
drops them."""

from __future__ import annotations

from handlers.commands import OPERATOR
from tests.conftest import BotFactory
from tests.test_commands import team_bot


async def test_none_takes_a_member_off_the_team(make_bot: BotFactory) -> None:
    _, desk, commands = await team_bot(make_bot)
    assert (await commands.run(OPERATOR, "/role tg:99999 viewer")).startswith("tg:99999 is viewer")
    added = await desk.caller_for_telegram(99999)
    assert added is not None
    assert "not on this team's list" not in await commands.run(added, "/inbox")
    answer = await commands.run(OPERATOR, "/role 99999 none")
    assert answer == "tg:99999 is off the team now (was viewer): their commands are refused."
    assert await desk.caller_for_telegram(99999) is None
    refused = await commands.run(None, "/inbox", source="tg:99999")
    assert "not on this team's list" in refused
    assert "tg:99999" not in await commands.run(OPERATOR, "/role")

    bob = await desk.caller_for_email("bob@example.com")
    assert bob is not None
    await commands.run(OPERATOR, "/role bob@example.com none")
    assert await desk.caller_for_email("bob@example.com") is None
    listed = await commands.run(OPERATOR, "/role")
    assert "bob@example.com" in listed and ": none (set by /role" in listed
    await commands.run(OPERATOR, "/role bob@example.com agent")
    back = await desk.caller_for_email("bob@example.com")
    assert back is not None and back.role == "agent"
