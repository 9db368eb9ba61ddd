"""Once a customer was erased, ``POST /v1/sequences/{name}/enrolments`` and ``POST
/v1/events`` naming their conversation answered 503 "retry later", with a traceback in
the log, for ever: a client retries a 503. The customer is gone: 410, as for their
profile. And a customer named by a value of the wrong type (``"phone": {}``, ``[]``,
``false``, ``""``) was taken as nobody named, the event 202 "accepted" and nothing sent:
a 400 now."""

from __future__ import annotations

import pytest

from bot.config.notifications import workflow_rules
from tests.conftest import BotFactory
from tests.test_api import WA_ID, shared_number
from tests.test_notifications import NO_QUIET
from tests.test_sequences import drip

RULES = workflow_rules([{"on": "signup", "send": {"text": "Thanks for signing up"}}])


async def test_an_erased_customers_conversation_is_gone(make_bot: BotFactory) -> None:
    shared = await shared_number(
        make_bot, notifications=NO_QUIET, sequences=drip({"workflow": "signup"}), workflows=RULES
    )
    erased = await shared.call("support", "DELETE", f"/v1/profiles/wa:{WA_ID}")
    assert erased.status == 200, erased.raw
    enrol = await shared.call(
        "support",
        "POST",
        "/v1/sequences/welcome/enrolments",
        {"conversation": shared.conversation},
    )
    assert enrol.status == 410, enrol.raw
    event = await shared.call(
        "support",
        "POST",
        "/v1/events",
        {"type": "signup", "number": shared.number, "conversation": shared.conversation},
    )
    assert event.status == 410, event.raw


@pytest.mark.parametrize("value", [{}, [], False, "", 0])
@pytest.mark.parametrize("name", ["phone", "profile", "conversation"])
async def test_a_customer_named_by_a_wrong_type_is_a_400(
    make_bot: BotFactory, name: str, value: object
) -> None:
    shared = await shared_number(make_bot, notifications=NO_QUIET, workflows=RULES)
    body = {"type": "signup", "number": shared.number, name: value}
    answer = await shared.call("support", "POST", "/v1/events", body)
    assert answer.status == 400, answer.raw
    assert answer.error
