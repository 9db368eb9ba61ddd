"""``/inbox 51``, ``/inbox 0``, ``/inbox abc`` answered the bare ``Usage: /inbox [n]`` in
the team chat, where ``admin inbox 51`` says what is wrong: the chat says it too."""

from __future__ import annotations

import pytest

from tests.conftest import BotFactory
from tests.test_team_commands import VIEWER, team


@pytest.mark.parametrize("count", ["0", "-3", "51", "abc", "\uff12", "10.5"])
async def test_a_bad_count_is_said(make_bot: BotFactory, count: str) -> None:
    t = await team(make_bot)
    answer = await t.run(VIEWER, f"/inbox {count}")
    assert answer.startswith("N is a number from 1 to 50"), answer
    assert "Usage: /inbox" in answer
    assert (await t.run(VIEWER, "/inbox 50")).startswith("c_")
