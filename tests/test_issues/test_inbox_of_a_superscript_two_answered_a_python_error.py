"""``/inbox ²`` (or ``①``, or Arabic-Indic digits) answered the team chat with Python's
own words, "invalid literal for int() with base 10: '²'", before the usage line (OPS-4:
never an error of the code's): ``str.isdigit`` takes those characters, ``int`` does not.
The count is now ASCII digits, and anything else is told so, with the usage line."""

from __future__ import annotations

from handlers.workflows import lookup
from tests.conftest import BotFactory
from tests.test_team_commands import VIEWER, team


async def test_a_count_in_other_digits_gets_the_usage_line_alone(make_bot: BotFactory) -> None:
    t = await team(make_bot)
    for bad in ("/inbox \u00b2", "/inbox \u2460", "/inbox \u0661\u0660", "/inbox \uff15"):
        said = await t.run(VIEWER, bad)
        assert said == "N is a number from 1 to 50\nUsage: /inbox [n]", bad
    assert (await t.run(VIEWER, "/inbox 1")).count("\n") == 1


def test_a_workflow_path_in_other_digits_names_nothing() -> None:
    """The same in a workflow template's dotted path (``items.²``): nothing, not a crash."""
    assert lookup({"items": ["first", "second"]}, "items.\u00b2") is None
    assert lookup({"items": ["first", "second"]}, "items.1") == "second"
