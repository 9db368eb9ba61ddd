"""``/notify test`` refused in the API's words: with no team member's phone in the config it
said "name 'members' or give 'to'" (the chat has no ``to``), and every refusal (a member
not on the team, one without a phone) came with the whole 700-character ``/notify`` usage
after it. They say what is wrong in the chat's words now, without the usage."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from bot.config.settings import TeamMember
from handlers.commands import Caller
from tests.conftest import BotFactory
from tests.test_notifications import setup
from tests.test_notifications_follow import TEAM

AGENT = Caller("ann@example.com", "agent")


async def drafted(run: Callable[[Caller, str], Awaitable[str]]) -> str:
    answer = await run(AGENT, "/notify wa topic=offers draft Hi, 20% off")
    found = re.search(r"ntf_\w+", answer)
    assert found, answer
    return found.group(0)


async def test_a_member_unknown_or_without_a_phone_is_named(make_bot: BotFactory) -> None:
    shared = await setup(make_bot, team=TEAM)
    run = shared.bot.runtime.commands.run
    nid = await drafted(run)
    for line, expected in (
        (f"/notify test {nid} zed", "Not tested: 'zed' is not on the team."),
        (
            f"/notify test {nid} bob@example.com",
            "Not tested: bob@example.com has no phone in the team config.",
        ),
    ):
        assert await run(AGENT, line) == expected, line


async def test_no_phone_on_the_team_says_where_one_goes(make_bot: BotFactory) -> None:
    team = (TeamMember("ann@example.com", "Ann", "agent"),)
    shared = await setup(make_bot, team=team)
    run = shared.bot.runtime.commands.run
    answer = await run(AGENT, f"/notify test {await drafted(run)}")
    assert answer.startswith("Not tested: no team member has a phone"), answer
    assert "'to'" not in answer and "'members'" not in answer and "Usage:" not in answer
