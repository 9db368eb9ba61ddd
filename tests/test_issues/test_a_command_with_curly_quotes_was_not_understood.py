"""Telegram on an iPhone or a Mac types curly quotes (U+201C and U+201D, U+2018 and
U+2019), which a command took as part of its words: ``/profile`` of a phone in curly
double quotes got the bare usage line, and a curly-quoted ``cron=`` was cut at its first
space. Curly quotes group words as straight ones do now; a text after the command's
words keeps them as typed, and a lone U+2019 is an apostrophe."""

from __future__ import annotations

from handlers.commands import Caller, split_arguments
from tests.conftest import BotFactory
from tests.test_commands import commands_with_a_customer

VIEWER = Caller("vic@example.com", "viewer")
OPEN, CLOSE, LOW = "\u201c", "\u201d", "\u201e"
LEFT, RIGHT = "\u2018", "\u2019"


async def test_a_profile_named_in_curly_quotes_is_found(make_bot: BotFactory) -> None:
    commands, profile_id = await commands_with_a_customer(make_bot)
    phone = "+44 7911 123456"
    for reference in (f"{OPEN}{phone}{CLOSE}", f"{LEFT}{phone}{RIGHT}", f"{LOW}{phone}{OPEN}"):
        answer = await commands.run(VIEWER, f"/profile {reference}")
        assert profile_id in answer, answer


def test_words_in_curly_quotes_are_one_and_the_text_after_is_as_typed() -> None:
    dont = f"don{RIGHT}t"
    line = f"cron={OPEN}0 9 * * MON{CLOSE} {LEFT}a b{RIGHT} {dont} {OPEN}change{CLOSE} this"
    assert split_arguments(line) == ["cron=0 9 * * MON", "a b", dont, "change", "this"]
    assert split_arguments(line, 2) == [
        "cron=0 9 * * MON",
        "a b",
        f"{dont} {OPEN}change{CLOSE} this",
    ]
