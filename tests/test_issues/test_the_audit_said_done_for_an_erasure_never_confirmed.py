"""``/forget`` and ``/detach`` ask for a confirmation code before they act; the audit
trail kept the question as ``done``: an admin reading ``/audit`` saw an erasure and a
detach that never happened (the codes expired unused). The question is kept as ``asked
to confirm``; the confirmed command, as ``done``."""

from __future__ import annotations

import re

from tests.conftest import BotFactory
from tests.test_team_commands import ADMIN, team


async def test_a_question_is_audited_as_asked_and_its_confirmation_as_done(
    make_bot: BotFactory,
) -> None:
    t = await team(make_bot)
    asked = await t.run(ADMIN, "/detach sales")
    assert "To go ahead" in asked, asked
    said = await t.run(ADMIN, "/audit 1")
    assert said.endswith(": /detach sales - asked to confirm"), said

    confirm = re.search(r"/detach sales confirm \d+", asked)
    assert confirm is not None
    assert "detached from" in await t.run(ADMIN, confirm[0])
    said = await t.run(ADMIN, "/audit 1")
    assert said.endswith(f": {confirm[0]} - done"), said
