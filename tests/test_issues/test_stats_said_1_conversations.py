"""The team chat's ``/stats`` said "1 conversations; 1 notifications: 1 recipients", and
``/merge`` "(1 identities moved)": a count of one takes its noun in the singular."""

from __future__ import annotations

from handlers.command_kit import counted
from tests.conftest import BotFactory
from tests.test_team_commands import VIEWER, team


async def test_stats_of_one_conversation_says_one_conversation(make_bot: BotFactory) -> None:
    t = await team(make_bot)
    stats = await t.run(VIEWER, "/stats")
    assert ": 1 conversation; 0 notifications: 0 recipients, " in stats, stats


def test_a_count_takes_its_noun_in_the_singular_for_one() -> None:
    assert counted(1, "identity", "identities") == "1 identity"
    assert counted(2, "identity", "identities") == "2 identities"
    assert counted(0, "conversation") == "0 conversations"
    assert counted(2000, "recipient") == "2,000 recipients"
