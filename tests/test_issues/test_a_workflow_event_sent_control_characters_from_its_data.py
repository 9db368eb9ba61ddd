"""An outside fuzz run posted ``{"type": "ticket.created", "data": {"id": "a\\u0007b"}}``
to ``POST /v1/events`` and got 202; the customer was then sent "Ticket a\\x07b opened":
the event's values are filled into the message, and nothing checked them for control
characters, which every text of the API refuses.

What must hold: a string in ``data``, at any depth, with a control character other than
a newline, a carriage return or a tab is a 400 naming its place (``data.id``,
``data.ticket.tags.1``); no notification is created and nothing is sent."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import BotFactory
from tests.test_notifications import setup
from tests.test_workflows import RULES, trigger

REFUSED = [
    ({"id": "a\u0007b"}, "data.id"),
    ({"id": 1, "ticket": {"tags": ["ok", "x\u001b[31m"]}}, "data.ticket.tags.1"),
    ({"id": 1, "rows": [[{"note": "\u0000"}]]}, "data.rows.0.0.note"),
]


@pytest.mark.parametrize(("data", "place"), REFUSED, ids=("flat", "nested", "deep"))
async def test_control_characters_in_an_events_data_are_refused(
    make_bot: BotFactory, data: dict[str, Any], place: str
) -> None:
    shared = await setup(make_bot, workflows=RULES)
    runtime = shared.bot.runtime
    campaigns = runtime.outreach.notifications.store.number_key(shared.number)
    sent = len(shared.graph.sent)

    event = {"type": "ticket.created", "number": shared.number, "phone": "+447911123456"}
    answer = await shared.call("support", "POST", "/v1/events", event | {"data": data})
    assert answer.status == 400, answer.raw
    assert f"'{place}'" in answer.error and "control characters" in answer.error
    await shared.bot.settle()
    assert await runtime.redis.zcard(campaigns) == 0
    assert len(shared.graph.sent) == sent

    kept = await trigger(shared, event | {"data": {"id": "line\r\nnext\tcell"}})
    assert kept["matched_rules"] == 1 and len(kept["sent"]) == 1
