"""An event id posted again with another type was refused (422) only when the same rule
matched both: a type another rule matches made a notification of its own and sent it
("Ticket 9001 closed" after "Ticket 9001 opened"), and an id whose first post matched no
rule was taken again for anything. The first post of an id is kept, whatever the rules
made of it; another type, customer or data with it is a 422, and nothing goes."""

from __future__ import annotations

from typing import Any

from tests.conftest import BotFactory
from tests.test_notifications import setup
from tests.test_workflows import RULES, trigger

PHONE = "+447911123456"


async def _refused(shared: Any, body: dict[str, Any]) -> None:
    answer = await shared.call("support", "POST", "/v1/events", {"number": shared.number} | body)
    assert answer.status == 422, answer.raw
    assert body["id"] in answer.error


async def test_an_id_reused_with_a_type_another_rule_matches_sends_nothing(
    make_bot: BotFactory,
) -> None:
    shared = await setup(make_bot, workflows=RULES)
    closed = {"type": "ticket.closed", "phone": PHONE, "id": "zd-9001", "data": {"id": 9001}}
    assert len((await trigger(shared, closed))["sent"]) == 1
    await shared.bot.settle()
    before = len(shared.graph.sent)
    # ticket.created with a high priority matches the template's rule too, first.
    created = closed | {"type": "ticket.created", "data": {"id": 9001, "priority": "high"}}
    await _refused(shared, created)
    await shared.bot.settle()
    assert len(shared.graph.sent) == before


async def test_an_id_whose_first_post_matched_no_rule_names_that_event(
    make_bot: BotFactory,
) -> None:
    shared = await setup(make_bot, workflows=RULES)
    nothing = {"type": "order.shipped", "phone": PHONE, "id": "shop-77", "data": {"id": 77}}
    assert (await trigger(shared, nothing))["matched_rules"] == 0
    assert (await trigger(shared, nothing))["matched_rules"] == 0  # again: the same answer
    await _refused(shared, nothing | {"type": "ticket.closed"})
    await shared.bot.settle()
    assert not [m for m in shared.graph.sent if "Ticket 77" in (m.text or "")]
