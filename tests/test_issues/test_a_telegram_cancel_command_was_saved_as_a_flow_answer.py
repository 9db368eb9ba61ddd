"""On Telegram a customer stops a bot's questions the way every bot takes it, with the
command ``/cancel`` (or asks for a person with ``/agent``). Inside a flow, a text question
saved "/cancel" as the answer (their name was "/cancel") and asked the next question:
only the bare word "cancel" stopped it. On Telegram the command is read as the word."""

from __future__ import annotations

from typing import Any

from bot.config.flows import DEFAULT_CANCELLED
from tests.test_flows_runtime import NAME_Q, nth_reply, telegram

__all__ = ["telegram"]


async def test_slash_cancel_stops_a_flow_on_telegram(telegram: Any) -> None:
    _, api, _ = telegram
    customer = 5551012

    api.customer_text(customer, "callback", first_name="Wen")
    assert await nth_reply(api, customer, 1) == NAME_Q
    api.customer_text(customer, "/cancel")
    assert await nth_reply(api, customer, 2) == DEFAULT_CANCELLED
