"""Once the team was detached from every number, ``/inbox`` said "No conversations yet."
while the numbers had their conversations: the team works none of them now, and the
answer says so, with the way back."""

from __future__ import annotations

from bot.team.chat import team_service
from tests.conftest import BotFactory
from tests.test_api import shared_number
from tests.test_sequences import AGENT


async def test_inbox_says_the_team_works_no_number(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    runtime, number = shared.bot.runtime, shared.number
    await runtime.directory.define(team_service(), with_token=False)
    await runtime.directory.store.attach(number, "team")
    assert shared.conversation[:8] in await runtime.commands.run(AGENT, "/inbox")
    await runtime.directory.store.detach(number, "team")
    said = await runtime.commands.run(AGENT, "/inbox")
    assert said == "The team is attached to no number: /attach team <number> works one.", said
