"""A WhatsApp receipt Meta posted before its answer to the send lost Meta's ``pricing``:
it was kept as its status alone, and once the send was recorded the ledger billed the
rate card's prediction and marked the send billed, so a later receipt with the pricing
changed nothing. A free template (Meta's free entry point) was billed as a marketing
one. The early receipt keeps its pricing now, and the send is billed as Meta says, as
docs/api.md "Costs" promises, early or not."""

from __future__ import annotations

from tests.conftest import BotFactory
from tests.test_costs import receipts
from tests.test_issues.test_one_delivered_template_was_billed_twice import (
    campaign_receipted_early,
    costs_once_billed,
)

UK = "447911700012"


async def test_an_early_receipt_is_billed_as_metas_pricing_says(make_bot: BotFactory) -> None:
    shared, nid, _ = await campaign_receipted_early(
        make_bot, UK, "delivered", pricing_category="marketing", pricing_type="free_entry_point"
    )
    (sent,) = [m for m in shared.graph.sent if m.type == "template"]
    await receipts(shared, [sent], "read")
    costs = await costs_once_billed(shared)
    assert costs["by_category"]["marketing"] == {"amount": 0.0, "messages": 1, "free": 1}
    assert costs["total"] == 0.0 == costs["by_notification"].get(nid, 0.0)
