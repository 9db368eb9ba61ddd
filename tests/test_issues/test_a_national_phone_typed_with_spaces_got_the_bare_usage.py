"""``/profile 07911 123456``, a phone in its national form as a British customer gives it
(README: with ``DEFAULT_REGION=GB``, ``07911 123456`` and ``+44 7911 123456`` are one
phone), got the bare usage line: only a phone that starts with ``+`` had its groups
joined. A national phone's groups (its first starting with 0) are one word too."""

from __future__ import annotations

from handlers.command_kit import phone_joined
from tests.conftest import BotFactory
from tests.test_commands import ADMIN, VIEWER, commands_with_a_customer


async def test_a_national_phone_typed_in_groups_names_the_customer(make_bot: BotFactory) -> None:
    commands, profile_id = await commands_with_a_customer(make_bot)
    for typed in ("07911 123456", "07911 123 456", "(07911) 123456", "07911-123 456"):
        answer = await commands.run(VIEWER, f"/profile {typed}")
        assert profile_id in answer and "phone:+447911123456" in answer, (typed, answer)
    notes = await commands.run(VIEWER, "/profile 07911 123456 notes 1999-01-01")
    assert notes == "No notes for that day."
    asked = await commands.run(ADMIN, "/forget 07911 123456")
    assert asked.startswith(f"This erases {profile_id} ")


def test_only_a_national_phone_s_groups_are_joined() -> None:
    assert phone_joined(["07911", "123456", "notes"]) == ["07911 123456", "notes"]
    assert phone_joined(["07911123456", "convert"]) == ["07911123456", "convert"]
    assert phone_joined(["123", "456"]) == ["123", "456"]  # no phone's start
    assert phone_joined(["0", "12"]) == ["0", "12"]
