"""A campaign's test send of a marketing template, delivered with a receipt that had no
``pricing`` object, never reached the number's running cost (nor showed as pending while
it waited for its receipt); with Meta's ``pricing`` it did. A test's template is noted
when queued, as a campaign's are, and billed to the number when delivered, not to the
campaign."""

from __future__ import annotations

import time
from typing import Any

from tests.conftest import BotFactory
from tests.test_costs import CARD, UK_OPEN, receipts
from tests.test_notifications import Person, report, seed, setup, until
from tests.test_notifications_drafts import draft


async def test_a_delivered_test_template_is_billed_to_the_number(make_bot: BotFactory) -> None:
    shared = await setup(make_bot, rate_card=CARD)
    ids = await seed(
        shared.bot.runtime, shared.number, [Person(UK_OPEN, {"consent": "consent"}, time.time())]
    )
    body = {
        "number": shared.number,
        "template": {"name": "winter_sale", "language": "en", "category": "marketing"},
        "audience": {"profiles": ids},
    }
    nid = await draft(shared, body)
    answer = await shared.call(
        "support", "POST", f"/v1/notifications/{nid}/test", {"to": [f"+{UK_OPEN}"]}
    )
    assert answer.status == 202, answer.raw
    (sent,) = await until(
        lambda: [m for m in shared.graph.sent if m.type == "template"], what="the test"
    )
    costs = (await shared.call("support", "GET", f"/v1/numbers/{shared.number}/costs")).json
    assert costs["costs"]["pending"] == 1
    await receipts(shared, [sent], "delivered")  # no pricing object: the rate card's price

    async def billed() -> Any:
        answer = await shared.call("support", "GET", f"/v1/numbers/{shared.number}/costs")
        return answer.json["costs"] if answer.json["costs"]["pending"] == 0 else None

    costs_now = await until(billed, what="the receipt billed")
    assert costs_now["total"] == 0.0529
    assert costs_now["by_notification"] == {}
    assert (await report(shared, nid))["cost"]["amount"] == 0
