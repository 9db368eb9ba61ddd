"""``/profile +44 7911 123456``, a phone typed as it is read (as a team member copies it
from a card or an email signature), got the bare usage line: its groups were three
words. A phone's groups after ``+`` and its country code are one word now, as quoted,
for ``/profile`` (and its ``notes``) and ``/forget``."""

from __future__ import annotations

from handlers.command_kit import phone_joined
from tests.conftest import BotFactory
from tests.test_commands import ADMIN, VIEWER, commands_with_a_customer


async def test_a_phone_typed_in_groups_names_the_customer(make_bot: BotFactory) -> None:
    commands, profile_id = await commands_with_a_customer(make_bot)
    for typed in ("+44 7911 123456", "+44 7911-123456", "+44 (7911) 123 456"):
        answer = await commands.run(VIEWER, f"/profile {typed}")
        assert profile_id in answer and "phone:+447911123456" in answer, (typed, answer)
    notes = await commands.run(VIEWER, "/profile +44 7911 123456 notes 1999-01-01")
    assert notes == "No notes for that day."
    asked = await commands.run(ADMIN, "/forget +44 7911 123456")
    assert asked.startswith(f"This erases {profile_id} ")


def test_only_a_phone_s_groups_are_joined() -> None:
    assert phone_joined(["+44", "7911", "123456", "notes"]) == ["+44 7911 123456", "notes"]
    assert phone_joined(["+447911123456", "convert"]) == ["+447911123456", "convert"]
    assert phone_joined(["p_abc", "12", "34"]) == ["p_abc", "12", "34"]
    assert phone_joined(["+44", "notes", "12"]) == ["+44", "notes", "12"]
    assert phone_joined([]) == []
