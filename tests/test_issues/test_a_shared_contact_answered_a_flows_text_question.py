"""On Telegram a shared contact arrives with its phone number as its text, and a flow took
it as the answer to any question: "Your name?" answered with a contact saved the phone as
the name (WhatsApp refuses a card there). A place, a card or a file answers no typed
question; a shared contact answers a phone question."""

from __future__ import annotations

from typing import Any

from tests.test_flows_runtime import NAME_Q, WHEN_Q, nth_reply, telegram

__all__ = ["telegram"]


async def test_a_contact_answers_only_a_phone_question(telegram: Any) -> None:
    _, api, _ = telegram
    customer = 5551011

    api.customer_text(customer, "callback", first_name="Wen")
    assert await nth_reply(api, customer, 1) == NAME_Q
    api.contact_share(customer, "+447911123420")
    assert (await nth_reply(api, customer, 2)).startswith("Please answer with a message.")
    api.customer_text(customer, "Wen")
    phone_question = await nth_reply(api, customer, 3)
    api.contact_share(customer, "+447911123420")
    assert await nth_reply(api, customer, 4) == WHEN_Q, phone_question
