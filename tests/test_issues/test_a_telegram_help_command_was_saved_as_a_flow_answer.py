"""A Telegram customer in a flow taps /help (or /start) in their app's command menu: the
flow's text question took "/help" as their answer (their name was "/help") and asked the
next question. A bot's command answers no question: the question is asked again."""

from __future__ import annotations

from typing import Any

from handlers.flows import NOT_A_COMMAND
from tests.test_flows_runtime import NAME_Q, nth_reply, telegram

__all__ = ["telegram"]


async def test_help_and_start_answer_no_question_on_telegram(telegram: Any) -> None:
    _, api, _ = telegram
    customer = 5551013

    api.customer_text(customer, "callback", first_name="Wen")
    assert await nth_reply(api, customer, 1) == NAME_Q
    api.customer_text(customer, "/help")
    assert await nth_reply(api, customer, 2) == f"{NOT_A_COMMAND}\n{NAME_Q}"
    api.customer_text(customer, "/start@switchboard_test_bot ref_42")
    assert await nth_reply(api, customer, 3) == f"{NOT_A_COMMAND}\n{NAME_Q}"
    api.customer_text(customer, "Wen")
    assert await nth_reply(api, customer, 4) == "Thanks Wen. Which number should we call?"


async def test_a_slash_inside_an_answer_is_kept(telegram: Any) -> None:
    _, api, _ = telegram
    customer = 5551014

    api.customer_text(customer, "callback", first_name="Ada")
    assert await nth_reply(api, customer, 1) == NAME_Q
    api.customer_text(customer, "Ada / Ann")
    assert await nth_reply(api, customer, 2) == "Thanks Ada / Ann. Which number should we call?"
