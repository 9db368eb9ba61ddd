"""On the command line, a team command whose words were refused before the command read
them (longer than 5,000 characters, a control character) exited 1 with
the chat's words and no usage line, where any other mistake in a command's arguments
exits 2 with its usage: they are mistakes in the arguments, said so."""

from __future__ import annotations

import pytest

from tests.botprocess import run_command
from tests.conftest import BotFactory
from tests.test_admin_profiles import environment
from tests.test_team_commands import team


@pytest.mark.parametrize(
    ("words", "said"),
    [
        ("y" * 5001, "That command is longer than 5000 characters."),
        ("ring \x07 the bell", "Commands may not contain control characters"),
    ],
)
async def test_broken_words_are_a_usage_error(
    make_bot: BotFactory, prefix: str, words: str, said: str
) -> None:
    t = await team(make_bot)
    code, out, err = await run_command(environment(prefix), "admin", "note", t.cid, words)
    assert code == 2, (code, out, err)
    assert "usage: " in err and said in err and "Traceback" not in err, err
