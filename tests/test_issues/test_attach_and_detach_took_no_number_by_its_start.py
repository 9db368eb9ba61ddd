"""``/attach support wa`` and ``/detach support wa`` answered "No number 'wa'", where
``/stats wa``, ``/notify wa …`` and ``admin notify --number wa`` take a number by its
start (the one number that begins so). They do too now; a start that names several
numbers, or none, is still refused."""

from __future__ import annotations

import re

from tests.conftest import BotFactory
from tests.test_team_commands import ADMIN, NUMBER, team


async def test_a_number_is_named_by_its_start(make_bot: BotFactory) -> None:
    t = await team(make_bot)
    question = await t.run(ADMIN, "/detach support wa")
    assert question.startswith(f"This detaches support from {NUMBER}:"), question
    line = question.split("\n")[-1]
    assert re.fullmatch(r"/detach support wa confirm \d{6}", line), question
    assert (await t.run(ADMIN, line)).startswith(f"support detached from {NUMBER}")
    answer = await t.run(ADMIN, "/attach support wa")
    assert answer == f"support attached to {NUMBER}: sales (parent), marketing, support"
    assert await t.run(ADMIN, "/attach sales x") == "No number 'x'; /services lists them."
    assert await t.run(ADMIN, "/attach sales w") == "No number 'w'; /services lists them."
