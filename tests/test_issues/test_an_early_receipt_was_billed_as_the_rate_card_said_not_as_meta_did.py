"""A WhatsApp receipt Meta posted before its answer to the send lost Meta's ``pricing``:
it was kept as its status alone, and once the send was recorded the ledger billed the
rate card's prediction and marked the send billed, so a later receipt with the pricing
changed nothing. A free template (Meta's free entry point) was billed as a marketing
one. The early receipt keeps its pricing now, and the send is billed as Meta says, as
docs/api.md "Costs" promises, early or not."""

from __future__ import annotations

import time

from tests.conftest import BotFactory
from tests.emulators import meta_webhooks as meta
from tests.test_costs import CARD, receipts, template_campaign
from tests.test_issues.test_a_receipt_before_its_sends_record_never_reached_it import (
    inbound_done,
)
from tests.test_issues.test_one_delivered_template_was_billed_twice import costs_once_billed
from tests.test_notifications import Person, finished, seed, setup

UK = "447911700012"


async def test_an_early_receipt_is_billed_as_metas_pricing_says(make_bot: BotFactory) -> None:
    shared = await setup(make_bot, rate_card=CARD)
    ids = await seed(
        shared.bot.runtime, shared.number, [Person(UK, {"consent": "consent"}, time.time() - 60)]
    )
    graph, bot = shared.graph, shared.bot

    async def delivered_first(message_id: str) -> None:
        graph.before_answer = None
        receipt = meta.status_update(
            bot.phone_number_id,
            message_id,
            UK,
            "delivered",
            pricing_category="marketing",
            pricing_type="free_entry_point",
        )
        assert (await bot.post_whatsapp(receipt)).status == 200
        await inbound_done(bot)

    graph.before_answer = delivered_first
    nid = await template_campaign(shared, "winter_sale", "marketing", ids)
    await finished(shared, nid)
    assert graph.before_answer is None  # the receipt went before the answer
    (sent,) = [m for m in graph.sent if m.type == "template"]
    await receipts(shared, [sent], "read")
    costs = await costs_once_billed(shared)
    assert costs["by_category"]["marketing"] == {"amount": 0.0, "messages": 1, "free": 1}
    assert costs["total"] == 0.0 == costs["by_notification"].get(nid, 0.0)
