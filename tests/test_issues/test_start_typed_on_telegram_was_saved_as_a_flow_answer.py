"""A Telegram customer in a flow typed START: it was saved as their name (the next
question said "Thanks START"), and at an email question each START used up one of its
tries until the flow handed off. START answers no question on any channel (README,
"Guided conversations"); on Telegram, where the opt-in is /start, as on the others: the
question is asked again, and none of its tries is used."""

from __future__ import annotations

from typing import Any

from tests.test_flows_runtime import NAME_Q, nth_reply, telegram

__all__ = ["telegram"]


async def test_start_typed_answers_no_question_on_telegram(telegram: Any) -> None:
    _, api, _ = telegram
    customer = 5551015

    api.customer_text(customer, "callback", first_name="Wen")
    assert await nth_reply(api, customer, 1) == NAME_Q
    api.customer_text(customer, "START")
    assert await nth_reply(api, customer, 2) == NAME_Q
    api.customer_text(customer, "Start!")
    assert await nth_reply(api, customer, 3) == NAME_Q
    api.customer_text(customer, "Wen")
    assert await nth_reply(api, customer, 4) == "Thanks Wen. Which number should we call?"
