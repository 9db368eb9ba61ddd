"""A flow file edited while a customer was in it (a step renamed or removed, which the bot
takes within a second) dropped them with no word: their answer to the question they had
just been asked was taken as a new message (the fallback, or nothing when the fallback
had gone in the last 30 minutes), the flow and its answers gone, nothing in the log. The
flow starts again at its first question, and says why; a flow removed lets them go, and
the log says so."""

from __future__ import annotations

import logging

import pytest

from tests.test_flows import T0, Chat, engine, message, texts


def _survey(colour_step: str) -> dict[str, object]:
    return {
        "flows": {
            "survey": {
                "start": ["survey"],
                "steps": [
                    {"id": "age", "ask": "Your age?", "input": "number"},
                    {
                        "id": colour_step,
                        "ask": "Favourite colour?",
                        "input": "choice",
                        "choices": ["Red", "Green"],
                    },
                ],
                "end": "Thanks!",
            }
        },
        "fallback": "Thanks for your message!",
    }


def test_a_customer_at_a_step_renamed_starts_again(caplog: pytest.LogCaptureFixture) -> None:
    chat = Chat(engine(_survey("colour")))
    chat.say("survey")
    assert texts(chat.say("33")) == ["Favourite colour?"]
    chat.engine = engine(_survey("fav"))  # the edit, taken while they choose
    caplog.set_level(logging.INFO, logger="handlers.flows")
    answered = chat.say("Green")
    assert answered.handled
    (said,) = texts(answered)
    assert "start again" in said and said.endswith("\nYour age?")
    assert chat.state is not None and (chat.state.flow, chat.state.step) == ("survey", "age")
    assert "survey has no step colour" in caplog.text
    assert texts(chat.say("40")) == ["Favourite colour?"]


def test_a_customer_in_a_flow_removed_is_let_go_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    chat = Chat(engine(_survey("colour")))
    chat.say("survey")
    chat.engine = engine({"fallback": "Thanks for your message!"})
    caplog.set_level(logging.INFO, logger="handlers.flows")
    outcome = chat.engine.step(chat.state, message("33"), now=T0)
    assert not outcome.handled
    assert "survey" in caplog.text and "no longer" in caplog.text
