"""A 31-digit ``/profile`` argument was answered with the phonenumbers library's own
message, code and all: "(4) The string supplied is too long to be a phone number." The
API's 400s said the same. A phone that cannot be read is now refused in our words,
saying what to change."""

from __future__ import annotations

import pytest

from bot.identities import InvalidPhoneError, normalize_phone
from tests.conftest import BotFactory
from tests.test_commands import VIEWER, commands_with_a_customer

REASONS = [
    (
        "1234567890123456789012345678901",
        "'1234567890123456789012345678901' is not a phone number: it is too long",
    ),
    ("+44 7", "'+44 7' is not a phone number: it is too short"),
    ("+999 1234", "'+999 1234' is not a phone number: no country has the code after its +"),
    ("++44", "'++44' is not a phone number: it holds no number"),
]


@pytest.mark.parametrize(("raw", "reason"), REASONS)
def test_a_phone_that_cannot_be_read_is_refused_in_our_words(raw: str, reason: str) -> None:
    with pytest.raises(InvalidPhoneError) as refused:
        normalize_phone(raw, "GB")
    assert str(refused.value) == reason


def test_a_phone_without_its_country_code_where_no_region_is_set() -> None:
    with pytest.raises(InvalidPhoneError) as refused:
        normalize_phone("07700 900123", "")
    assert str(refused.value) == (
        "'07700 900123' is not a phone number: write it with + and its country code"
    )


async def test_the_command_answers_in_our_words(make_bot: BotFactory) -> None:
    commands, _ = await commands_with_a_customer(make_bot)
    answer = await commands.run(VIEWER, "/profile 1234567890123456789012345678901")
    assert answer.startswith(REASONS[0][1]), answer
    assert "(4)" not in answer and "string supplied" not in answer
