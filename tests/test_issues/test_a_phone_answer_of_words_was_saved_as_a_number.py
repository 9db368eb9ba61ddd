"""Asked "Which number should we call?", a customer who answered "my order #123 is late"
was taken at their word: the phone library reads three letters or more as the letters of
a vanity number's keypad, so the answer was saved as the callback phone +44123475283 and
the flow went on to the next question. Words are no digits now: the question is asked
again, and nothing is saved."""

from __future__ import annotations

import pytest

from bot.config.automation import automation_settings
from bot.identities import InvalidPhoneError, normalize_phone
from bot.model import Identity
from tests.conftest import BotFactory
from tests.test_flows_runtime import SHIPPED, WA_ID, fields, say, sent

RETRY = "Sorry, that isn't a number we can call, like 07700 900123 or +44 7700 900123."


async def test_an_answer_of_words_is_asked_again(make_bot: BotFactory) -> None:
    bot = await make_bot(automation=automation_settings({"flows": SHIPPED}))
    await say(bot, "callback")
    await say(bot, "Ann")
    await say(bot, "my order #123 is late")
    asked_again = (await sent(bot, 3))[-1].text or ""
    assert asked_again.startswith(RETRY)
    await say(bot, "Sure, 07700 900123")  # digits among a few words still answer
    assert (await sent(bot, 4))[-1].text == "When suits you?"
    assert (await fields(bot, Identity("wa", WA_ID)))["callback_phone"] == "+447700900123"


@pytest.mark.parametrize("written", ["my order #123 is late", "0800 FLOWERS", "12 Baker Street"])
def test_letters_are_not_read_as_digits(written: str) -> None:
    with pytest.raises(InvalidPhoneError):
        normalize_phone(written, "GB")


@pytest.mark.parametrize(
    ("written", "phone"),
    [
        ("07700 900123 ext. 12", "+447700900123"),
        ("+1 650-253-0000 x123", "+16502530000"),
        ("mobile: 07700900123", "+447700900123"),
        ("011 15 2345-6789", "+5491123456789"),
    ],
)
def test_numbers_among_words_are_still_read(written: str, phone: str) -> None:
    region = "AR" if written.startswith("011") else "GB"
    assert normalize_phone(written, region).value == phone
