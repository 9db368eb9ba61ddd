"""A Telegram message's ``date`` went unchecked: one dated 2100 put its conversation first
in every listing for good, one dated 0 made a conversation created in 1970 with no
``last_at``; and a private chat's sender with an id of 0 or below (no user has one) was
taken as a customer. A date that is no time of now dates the message as it arrived (as
WhatsApp's are bounded); a sender that is no user is left be."""

from __future__ import annotations

import time

import pytest

from adapters.telegram_common import inbound_from_update

BOT = "7000000001"


def update(date: object, user_id: int = 6660001) -> dict[str, object]:
    user = {"id": user_id, "is_bot": False, "first_name": "Fut"}
    chat = {"id": user_id, "type": "private", "first_name": "Fut"}
    message = {"message_id": 1, "date": date, "from": user, "chat": chat, "text": "hi"}
    return {"update_id": 10**9, "message": message}


@pytest.mark.parametrize("date", [4102444800, 0, -5, None, "soon", True, 10**30])
def test_a_date_that_is_no_time_of_now_dates_the_message_as_it_arrived(date: object) -> None:
    before = time.time()
    (message,) = inbound_from_update(update(date), BOT)
    assert before <= message.timestamp <= time.time()


def test_a_plausible_date_is_kept() -> None:
    sent = int(time.time()) - 3600
    (message,) = inbound_from_update(update(sent), BOT)
    assert message.timestamp == sent


@pytest.mark.parametrize("user_id", [0, -1, -(2**63)])
def test_a_sender_that_is_no_user_is_left_be(user_id: int) -> None:
    assert inbound_from_update(update(int(time.time()), user_id), BOT) == []
