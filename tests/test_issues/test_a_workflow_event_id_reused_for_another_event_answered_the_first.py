"""A workflow event's ``id`` posted again with another customer or data was answered with
the first post's result (its send id, to the first customer) and sent nothing: the second
customer got nothing and the service was told it was sent. The same ``id`` with another
type, customer or data is a 422, as an ``Idempotency-Key`` used for another request is;
the same event posted again is answered the same, as before."""

from __future__ import annotations

from tests.conftest import BotFactory
from tests.test_notifications import Person, seed, setup
from tests.test_workflows import RULES, trigger

OTHER = "447911123405"


async def test_an_event_id_names_one_event(make_bot: BotFactory) -> None:
    shared = await setup(make_bot, workflows=RULES)
    await seed(shared.bot.runtime, shared.number, [Person(OTHER, name="Bo")])
    first = {"type": "ticket.closed", "phone": "+447911123456", "id": "same-1", "data": {"id": 5}}
    sent = await trigger(shared, first)
    assert len(sent["sent"]) == 1
    assert await trigger(shared, first) == sent  # posted again: the same answer
    for changed in ({"phone": f"+{OTHER}"}, {"data": {"id": 6}}, {"type": "ticket.updated"}):
        answer = await shared.call(
            "support", "POST", "/v1/events", {"number": shared.number, **first, **changed}
        )
        assert answer.status == 422, (changed, answer.json)
        assert "same-1" in answer.error
