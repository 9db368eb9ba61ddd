"""A choice question whose options are numbers ("How many seats?" 5, 2, 1) took a typed
"1" as the first option, 5, on WhatsApp, Telegram and the web chat, where the options are
buttons and no numbers show beside them: the customer's "1" meant one seat. Where the
options are not numbered (every channel but SMS), a typed answer that is an option's own
words picks that option; on SMS, whose options go numbered, "1" is still the first."""

from __future__ import annotations

from dataclasses import replace

from tests.test_flows import Chat, message, one_step, texts

SEATS = {"input": "choice", "choices": ["5", "2", "1"], "save": "seats"}


def test_a_typed_number_that_is_an_option_picks_that_option() -> None:
    for typed, picked in (("1", "1"), ("5", "5"), ("2", "2"), ("1.", "1")):
        chat = Chat(one_step(**SEATS))
        chat.say("go")
        answered = chat.say(typed)
        assert answered.saves == {"seats": picked}, typed
        assert texts(answered) == [f"Got {picked}."]
    chat = Chat(one_step(**SEATS))
    chat.say("go")
    assert chat.say("3").saves == {"seats": "1"}  # no option's words: the third


def test_on_sms_a_number_is_the_option_in_that_place() -> None:
    flows = one_step(**SEATS)
    state = flows.step(None, replace(message("go"), channel="sms"), now=0).state
    answered = flows.step(state, replace(message("1"), channel="sms"), now=0)
    assert answered.saves == {"seats": "5"}
