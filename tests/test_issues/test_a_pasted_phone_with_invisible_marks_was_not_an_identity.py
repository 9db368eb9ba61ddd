"""A phone or email copied from a web page (no-break spaces) or a phone's contacts (the
direction marks around it) was refused as "not an identity": the team could not look
the customer up, and an import or an API call with it failed the same way."""

from __future__ import annotations

import pytest

from bot.identities import parse_identity
from bot.model import Identity
from tests.conftest import BotFactory
from tests.test_commands import VIEWER, commands_with_a_customer


@pytest.mark.parametrize(
    "reference",
    [
        "'+44\u00a07911\u00a0123456'",
        "\u202a+44\u20097911123456\u202c",
        "\u200e+447911123456",
        "phone:\u2066+447911123456\u2069",
        "wa:447911123456\u200b",
    ],
)
async def test_profile_finds_the_customer_by_a_pasted_identity(
    make_bot: BotFactory, reference: str
) -> None:
    commands, profile_id = await commands_with_a_customer(make_bot)
    answer = await commands.run(VIEWER, f"/profile {reference}")
    assert profile_id in answer, answer


def test_an_identity_is_read_without_the_marks_a_paste_brings() -> None:
    assert parse_identity("\ufeffann.lee@Example.org\u200b", "GB") == Identity(
        "email", "ann.lee@example.org"
    )
    assert parse_identity("07911\u00a0123456", "GB") == Identity("phone", "+447911123456")
    with pytest.raises(ValueError, match="not an identity"):
        parse_identity("\u200b\u200b", "GB")
