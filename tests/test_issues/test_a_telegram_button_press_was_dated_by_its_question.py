"""A Telegram button press was dated with its keyboard message's date: before the question
it answers, and 1970 for a message over 48 hours old, whose InaccessibleMessage has a date
of 0 (the profile's daily note was titled "01/01/1970"). A press is dated when it came."""

from __future__ import annotations

import time

from adapters.telegram_common import inbound_from_update

QUESTION_AT = 1_790_000_000


def _press(message: dict[str, object]) -> dict[str, object]:
    user = {"id": 5551025, "is_bot": False, "first_name": "Wanda"}
    return {
        "update_id": 700000100,
        "callback_query": {
            "id": "4382bfdwdsb323b2d9",
            "from": user,
            "chat_instance": "-1234",
            "data": "b:0",
            "message": message,
        },
    }


def test_a_press_is_dated_when_it_came() -> None:
    keyboard = {
        "message_id": 77,
        "date": QUESTION_AT,
        "chat": {"id": 5551025, "type": "private"},
        "from": {"id": 42, "is_bot": True, "first_name": "Shop"},
        "text": "When suits you?",
        "reply_markup": {"inline_keyboard": [[{"text": "Morning", "callback_data": "b:0"}]]},
    }
    before = time.time()
    (press,) = inbound_from_update(_press(keyboard), "42")
    assert before <= press.timestamp <= time.time()
    assert press.text == "Morning"


def test_a_press_on_an_inaccessible_message_is_not_dated_1970() -> None:
    inaccessible = {"chat": {"id": 5551025, "type": "private"}, "message_id": 77, "date": 0}
    before = time.time()
    (press,) = inbound_from_update(_press(inaccessible), "42")
    assert before <= press.timestamp <= time.time()
