"""``POST /v1/events`` naming no customer (no ``phone``, ``profile`` or ``conversation``)
was answered 202, its rules "skipped: no_channel", where naming two is a 400; and an
``"id": ""`` was taken as no id, so the event was silently not idempotent. Both are a 400
now, with nothing triggered."""

from __future__ import annotations

from tests.conftest import BotFactory
from tests.test_notifications import setup
from tests.test_workflows import RULES


async def test_no_customer_or_an_empty_id_is_refused(make_bot: BotFactory) -> None:
    shared = await setup(make_bot, workflows=RULES)
    before = len(shared.graph.sent)
    for body, said in (
        ({"type": "ticket.closed", "data": {"id": 5}}, "name the customer"),
        ({"type": "ticket.closed", "phone": "+447911123456", "id": ""}, "'id' must be"),
        ({"type": "ticket.closed", "phone": "+447911123456", "id": "  "}, "'id' must be"),
    ):
        answer = await shared.call(
            "support", "POST", "/v1/events", {"number": shared.number} | body
        )
        assert answer.status == 400, answer.raw
        assert said in answer.error, answer.error
    await shared.bot.settle()
    assert len(shared.graph.sent) == before
    assert await shared.bot.runtime.outreach.notifications.store.of_number(shared.number) == []
