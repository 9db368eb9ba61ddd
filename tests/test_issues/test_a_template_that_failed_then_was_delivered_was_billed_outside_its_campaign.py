"""A template whose receipts said failed, then delivered with Meta's pricing, was billed
outside its campaign.

As the cost ledger showed it: the campaign's cost left the send out, while the number's
total counted it, so the total was more than its campaigns' costs. Meta's receipts come
out of order; one that says a send was delivered and billed after a failure is that
send's: billed once, to its campaign.
"""

from __future__ import annotations

import time

from tests.conftest import BotFactory
from tests.test_costs import CARD, receipts, template_campaign
from tests.test_issues.test_one_delivered_template_was_billed_twice import costs_once_billed
from tests.test_notifications import Person, finished, seed, setup

UK = "447911700021"


async def test_the_late_delivery_is_billed_to_its_campaign(make_bot: BotFactory) -> None:
    shared = await setup(make_bot, rate_card=CARD)
    ids = await seed(
        shared.bot.runtime, shared.number, [Person(UK, {"consent": "consent"}, time.time() - 60)]
    )
    nid = await template_campaign(shared, "winter_sale", "marketing", ids)
    await finished(shared, nid)
    (sent,) = [m for m in shared.graph.sent if m.type == "template"]
    await receipts(shared, [sent], "failed")
    await receipts(shared, [sent], "delivered", category="marketing", kind="regular")
    await receipts(shared, [sent], "read", category="marketing", kind="regular")
    costs = await costs_once_billed(shared)
    assert costs["by_category"]["marketing"]["messages"] == 1
    assert costs["total"] == 0.0529 == costs["by_notification"][nid]
