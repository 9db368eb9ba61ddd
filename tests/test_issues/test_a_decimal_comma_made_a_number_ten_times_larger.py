"""A guided conversation's number step dropped every comma, reading 1,5 as 15 and 1,2,3
as 123: the customer's answer was saved ten times larger, or as a number they never
wrote. Commas between thousands are still read as such; a comma before one or two digits
is a decimal comma; anything else is asked again."""

from __future__ import annotations

import pytest

from tests.test_flows import Chat, one_step


@pytest.mark.parametrize(
    ("answer", "saved"),
    [("1,5", "1.5"), ("-3,25", "-3.25"), ("1,000", "1000"), ("£12,500.50", "12500.5")],
)
def test_commas_are_read_as_the_customer_meant(answer: str, saved: str) -> None:
    chat = Chat(one_step(save="field", input="number"))
    chat.say("go")
    assert chat.say(answer).saves == {"field": saved}


@pytest.mark.parametrize("answer", ["1,2,3", "1,2345", "12,34,567"])
def test_a_number_the_commas_leave_unclear_is_asked_again(answer: str) -> None:
    chat = Chat(one_step(save="field", input="number"))
    chat.say("go")
    outcome = chat.say(answer)
    assert outcome.saves == {}
    assert outcome.replies[0].text.startswith("Please answer with a number.")
