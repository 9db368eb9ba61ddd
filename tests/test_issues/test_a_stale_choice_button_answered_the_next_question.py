"""A choice button pressed twice (or late) answered the next question: "No" on "Is this for
a business?" pressed twice went on to take "No thanks" for "Shall we put you through?",
and the customer was told goodbye. The press of a button of an earlier question carries
the same ids as one of the question asked (``b:1``); its label now tells them apart, and
such a press is asked again."""

from __future__ import annotations

from tests.test_flows import SHIPPED, Chat, engine, texts


def test_a_second_press_of_an_earlier_button_is_asked_again() -> None:
    chat = Chat(engine({"flows": SHIPPED}))
    chat.say("pricing")
    first = chat.press(1, "No")
    assert texts(first)[-1].startswith("Our plans are made for teams")
    again = chat.press(1, "No")  # the same button of the first question, pressed again
    assert again.saves == {} and again.handoff is None
    assert texts(again)[0].startswith("That button was for an earlier question.")
    assert chat.state is not None and chat.state.step == "personal"
    answered = chat.press(1, "No thanks")
    assert texts(answered) == ["Thanks for your interest! Write to us any time."]


def test_a_label_cut_short_by_whatsapp_still_picks_its_choice() -> None:
    long = "Later, in the afternoon"  # 23 characters: a button shows 20
    chat = Chat(
        engine(
            {
                "flows": {
                    "f": {
                        "start": ["go"],
                        "steps": [
                            {
                                "id": "a",
                                "ask": "Q?",
                                "input": "choice",
                                "choices": ["Short", long],
                                "save": "x",
                            }
                        ],
                        "end": "Got {a}.",
                    }
                }
            }
        )
    )
    chat.say("go")
    assert chat.press(1, long[:19] + "…").saves == {"x": long}
