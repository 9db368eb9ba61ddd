"""A workflow event for an erased customer, without the values its rule's placeholders
take, was answered ``skipped: ["missing_variable"]``; with them, ``["suppressed"]``.
docs/api.md gives the skip reasons in order of precedence, ``suppressed`` first and
``missing_variable`` last, and workflow rules use the same reasons: a value the event
lacks is found missing where the other reasons are decided, after them."""

from __future__ import annotations

import time

from tests.conftest import BotFactory
from tests.test_api import WA_ID
from tests.test_notifications import Person, seed, setup
from tests.test_workflows import RULES, trigger


async def test_an_erased_customer_is_suppressed_whatever_the_event_lacks(
    make_bot: BotFactory,
) -> None:
    shared = await setup(make_bot, workflows=RULES)
    erased = await shared.call("support", "DELETE", f"/v1/profiles/wa:{WA_ID}")
    assert erased.status == 200, erased.raw
    lacking = await trigger(shared, {"type": "ticket.created", "phone": f"+{WA_ID}"})
    assert lacking["skipped"] == ["suppressed"]
    whole = await trigger(
        shared, {"type": "ticket.created", "phone": f"+{WA_ID}", "data": {"id": 5}}
    )
    assert whole["skipped"] == ["suppressed"]
    # A customer who wrote a minute ago, without the values, is still missing them.
    await seed(shared.bot.runtime, shared.number, [Person("447911600001", wrote_at=time.time())])
    live = await trigger(shared, {"type": "ticket.created", "phone": "+447911600001"})
    assert live["skipped"] == ["missing_variable"]
    assert live["sent"] == []
