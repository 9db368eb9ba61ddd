"""``/detach`` of a name no service can have (an empty ``""``, a pasted paragraph of
thousands of characters, one with a line break) answered with the name as typed, whole
and unquoted: `` is not attached to any number.``, or every character of the paste, a
line break in it making a line of its own in the answer. It is refused as ``/attach``
refuses an unknown service now: the name quoted, cut short."""

from __future__ import annotations

import pytest

from handlers.commands import Caller
from tests.conftest import BotFactory

ADMIN = Caller("ann@example.com", "admin")
LONG = "s" * 3000


@pytest.mark.parametrize(
    ("line", "answer"),
    [
        ('/detach ""', "No service named ''; /services lists them."),
        (f"/detach {LONG}", f"No service named {LONG[:40]!r}; /services lists them."),
        (
            '/detach "sales\nOK, detached"',
            "No service named 'sales\\nOK, detached'; /services lists them.",
        ),
        ("/detach nosuch", "nosuch is not attached to any number."),
    ],
)
async def test_the_name_is_refused_and_shown_short(
    make_bot: BotFactory, line: str, answer: str
) -> None:
    bot = await make_bot()
    assert await bot.runtime.commands.run(ADMIN, line) == answer
