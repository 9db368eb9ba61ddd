"""``/profile <id> notes 2026-13-45`` answered "No notes for that day.", as if the day
were real and quiet; and ``?day=2026-1-5`` on the API, a day in a form no note is filed
under, answered no notes as well. Both now refuse a day that is not a real date written
as YYYY-MM-DD, and say so."""

from __future__ import annotations

import pytest

from tests.conftest import BotFactory
from tests.test_api import WA_ID
from tests.test_api_profiles import shared_number
from tests.test_commands import VIEWER, commands_with_a_customer

NOT_DAYS = [
    "2026-13-45",
    "2026-02-30",
    "2026-1-5",
    "\uff12\uff10\uff12\uff16-01-05",
    "20260105",
    "x" * 300,
]


@pytest.mark.parametrize("day", NOT_DAYS, ids=lambda day: day[:12])
async def test_the_command_refuses_a_day_that_is_not_one(make_bot: BotFactory, day: str) -> None:
    commands, profile_id = await commands_with_a_customer(make_bot)
    answer = await commands.run(VIEWER, f"/profile {profile_id} notes {day}")
    assert answer.startswith("day is a date, YYYY-MM-DD"), answer
    assert answer.endswith("Usage: /profile <id|identity> [convert | notes [YYYY-MM-DD]]")


async def test_the_api_refuses_a_day_that_is_not_one(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    for day in NOT_DAYS:
        answer = await shared.call("sales", "GET", f"/v1/profiles/wa:{WA_ID}/notes?day={day}")
        assert answer.status == 400 and answer.error == "day is a date, YYYY-MM-DD", day
