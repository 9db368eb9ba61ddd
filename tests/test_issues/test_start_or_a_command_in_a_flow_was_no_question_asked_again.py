"""In a guided conversation, a Telegram customer's /start (their app's Start button) got
the automation's welcome or fallback answer, and the question went unasked; START typed on
another channel did the same. On a choice question, a bot command (/help) counted as a
wrong answer, and the fourth handed the customer off to a person. A command, or START,
answers no question and uses none of its tries: the question is asked again."""

from __future__ import annotations

from typing import Any

from handlers.flows import NOT_A_COMMAND
from tests.conftest import BotFactory
from tests.test_flows_runtime import FLOWS, NAME_Q, WHEN_Q, nth_reply, telegram
from tests.test_webchat import next_message, open_chat

__all__ = ["telegram"]


async def test_start_and_commands_in_a_flow_ask_the_question_again(telegram: Any) -> None:
    _, api, _ = telegram
    customer = 5551021

    api.customer_text(customer, "callback", first_name="Zoe")
    assert await nth_reply(api, customer, 1) == NAME_Q
    api.customer_text(customer, "/start")
    assert await nth_reply(api, customer, 2) == f"{NOT_A_COMMAND}\n{NAME_Q}"
    api.customer_text(customer, "Zoe")
    api.customer_text(customer, "+44 7700 900777")
    assert await nth_reply(api, customer, 4) == WHEN_Q
    for n in range(5, 10):  # more commands than the step's tries
        api.customer_text(customer, "/help")
        assert await nth_reply(api, customer, n) == f"{NOT_A_COMMAND}\n{WHEN_Q}"
    api.customer_text(customer, "Evening")  # no hand-off came: the flow ends as it should
    assert await nth_reply(api, customer, 10) == (
        "Thanks Zoe, we'll call you on +447700900777 in the Evening."
    )


async def test_start_typed_in_a_flow_asks_the_question_again(make_bot: BotFactory) -> None:
    bot = await make_bot(whatsapp=False, automation=FLOWS)
    socket, _ = await open_chat(bot)
    await socket.send_json({"type": "message", "id": "m1", "text": "please call me"})
    assert (await next_message(socket))["text"] == NAME_Q
    await socket.send_json({"type": "message", "id": "m2", "text": "START"})
    assert (await next_message(socket))["text"] == NAME_Q
    await socket.send_json({"type": "message", "id": "m3", "text": "Gus"})
    assert (await next_message(socket))["text"] == "Thanks Gus. Which number should we call?"
    await socket.close()
