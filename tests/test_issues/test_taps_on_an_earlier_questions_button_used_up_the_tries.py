"""On Telegram, "No" to "Is this for a business?" asked "Shall we put you through?"; four
taps on the first question's "Yes" (still on the screen) were each taken as a wrong
answer to the second, "Please pick one of the options", and the fourth handed the
customer off though they had answered nothing. README: a tap on an earlier question's
button answers nothing and the current question is asked again; like a bot command, it
uses none of the question's tries."""

from __future__ import annotations

from typing import Any

from tests.test_flows_runtime import nth_reply, telegram  # noqa: F401  (a fixture)

BUSINESS_Q = "Happy to help with a quote. Is this for a business?"
PERSONAL_Q = "Our plans are made for teams. Shall we put you through to someone anyway?"


async def test_an_earlier_questions_button_is_no_answer_and_uses_no_try(
    telegram: Any,  # noqa: F811
) -> None:
    _bot, api, _team_chat = telegram
    customer = 5551077
    api.customer_text(customer, "pricing", first_name="Ida")
    assert await nth_reply(api, customer, 1) == BUSINESS_Q
    first = api.messages_to(customer)[0].message_id
    api.callback_query(customer, "b:1")  # "No"
    assert await nth_reply(api, customer, 2) == PERSONAL_Q
    for n in range(3, 8):  # five taps of the first question's "Yes", past max_retries (3)
        api.callback_query(customer, "b:0", message_id=first)
        said = await nth_reply(api, customer, n)
        assert said == f"That button was for an earlier question.\n{PERSONAL_Q}", said
        assert api.messages_to(customer)[n - 1].callback_data == ["b:0", "b:1"]
    api.callback_query(customer, "b:1")  # "No thanks", on the question asked last
    assert await nth_reply(api, customer, 8) == "Thanks for your interest! Write to us any time."
