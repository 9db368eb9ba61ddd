"""Two flow answers were refused with the wrong words: a ``max_length: 100`` step told a
101-character answer "Please keep it under 100 characters." though 100 are taken, and a
``number`` step refused "+3" and "\\u22123" (a typographic minus, as phones' keyboards and
copied text give it) as "Please answer with a number."."""

from __future__ import annotations

import pytest

from tests.test_flows import Chat, one_step, texts


def test_a_long_answer_is_told_the_most_it_may_be() -> None:
    chat = Chat(one_step(max_length=100))
    chat.say("go")
    assert texts(chat.say("x" * 101)) == ["Please keep it to 100 characters at most.\nQ?"]
    assert texts(chat.say("x" * 100)) == [f"Got {'x' * 100}."]


@pytest.mark.parametrize(
    ("typed", "kept"), [("+3", "3"), ("\u22123", "-3"), ("\u2212 2.5", "-2.5")]
)
def test_a_signed_number_is_a_number(typed: str, kept: str) -> None:
    chat = Chat(one_step(input="number"))
    chat.say("go")
    assert texts(chat.say(typed)) == [f"Got {kept}."]
