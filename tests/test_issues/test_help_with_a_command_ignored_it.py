"""``/help reply``, ``/help nosuch`` and ``/help reply extra`` all answered the whole list,
where every other command refuses what it does not take, and the command line's own
help has each command's arguments and an example. ``/help <command>`` answers that
command's usage, arguments and example now; an unknown one, or one the caller's role
does not run, is said; more words get the usage line."""

from __future__ import annotations

from handlers.commands import Caller
from tests.conftest import BotFactory

AGENT = Caller("bob@example.com", "agent")
VIEWER = Caller("vic@example.com", "viewer")


async def test_help_of_one_command(make_bot: BotFactory) -> None:
    bot = await make_bot()
    commands = bot.runtime.commands
    whole = await commands.run(VIEWER, "/help")
    assert "/profile" in whole and "/reply" not in whole  # a viewer's list
    for line in ("/help reply", "/help /reply", "/help REPLY"):
        answer = await commands.run(AGENT, line)
        assert answer.startswith("/reply "), answer
        assert "Example: /reply " in answer and answer != await commands.run(AGENT, "/help")
    assert "needs the agent role" in await commands.run(VIEWER, "/help reply")
    unknown = await commands.run(AGENT, "/help nosuch")
    assert unknown == "No command /nosuch here: /help lists them."
    assert (await commands.run(AGENT, "/help reply extra")).startswith("Usage: /help")
