"""A guided conversation's text answer was saved into the profile as typed, escape
sequences, a bell and a NUL included (``EVIL\\x1b[31mRED``), where every text a service
sends through the API is refused with them. Such an answer is asked again now, and
nothing is saved."""

from __future__ import annotations

import pytest

from tests.test_flows import Chat, one_step


@pytest.mark.parametrize("answer", ["EVIL\x1b[31mRED\x1b[0m", "bell\x07", "nul\x00end"])
def test_a_text_answer_with_control_characters_is_asked_again(answer: str) -> None:
    chat = Chat(one_step(save="field", input="text"))
    chat.say("go")
    outcome = chat.say(answer)
    assert outcome.handled and outcome.saves == {}
    (again,) = outcome.replies
    assert again.text == "Please answer in plain text.\nQ?"


def test_lines_and_tabs_are_plain_text() -> None:
    chat = Chat(one_step(save="field", input="text"))
    chat.say("go")
    assert chat.say("two\nlines\tand a tab").saves == {"field": "two\nlines\tand a tab"}
