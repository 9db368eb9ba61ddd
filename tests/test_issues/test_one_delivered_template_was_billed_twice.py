"""The cost ledger billed one delivered template twice: a ``read`` without Meta's pricing
billed it, and a ``delivered`` with the pricing that came after it (statuses arrive out of
order) billed it again as a send the ledger did not note; and a receipt Meta posted before
its answer to the send was billed under the wamid, then again under our id once the send
was recorded. The number's and the category's totals disagreed with the campaign's."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from tests.conftest import BotFactory
from tests.emulators import meta_webhooks as meta
from tests.test_api import Shared
from tests.test_costs import CARD, receipts, template_campaign
from tests.test_issues.test_a_receipt_before_its_sends_record_never_reached_it import (
    inbound_done,
)
from tests.test_notifications import Person, finished, seed, setup, until

UK = "447911700011"


async def costs_once_billed(shared: Any) -> dict[str, Any]:
    async def billed() -> Any:
        answer = await shared.call("support", "GET", f"/v1/numbers/{shared.number}/costs")
        return answer.json["costs"] if answer.json["costs"]["pending"] == 0 else None

    found: dict[str, Any] = await until(billed, what="the receipts to be billed")
    return found


async def test_receipts_in_any_order_bill_a_template_once(make_bot: BotFactory) -> None:
    shared = await setup(make_bot, rate_card=CARD)
    ids = await seed(
        shared.bot.runtime, shared.number, [Person(UK, {"consent": "consent"}, time.time() - 60)]
    )
    nid = await template_campaign(shared, "winter_sale", "marketing", ids)
    await finished(shared, nid)
    (sent,) = [m for m in shared.graph.sent if m.type == "template"]
    await receipts(shared, [sent], "read")  # no pricing: billed as the rate card says
    await receipts(shared, [sent], "delivered", category="marketing", kind="regular")
    await receipts(shared, [sent], "read", category="marketing", kind="regular")
    costs = await costs_once_billed(shared)
    assert costs["by_category"]["marketing"] == {"amount": 0.0529, "messages": 1, "free": 0}
    assert costs["total"] == 0.0529 == costs["by_notification"][nid]


async def campaign_receipted_early(
    make_bot: BotFactory, wa_id: str, status: str, **receipt: Any
) -> tuple[Shared, str, list[str]]:
    """A marketing template campaign to one consenting customer, whose ``status`` receipt
    (``meta.status_update``'s ``receipt`` arguments) Meta posts before its answer to the
    send; once the campaign is done and the receipt went first."""
    shared = await setup(make_bot, rate_card=CARD)
    ids = await seed(
        shared.bot.runtime, shared.number, [Person(wa_id, {"consent": "consent"}, time.time() - 60)]
    )
    graph, bot = shared.graph, shared.bot

    async def receipt_first(message_id: str) -> None:
        graph.before_answer = None
        posted = meta.status_update(bot.phone_number_id, message_id, wa_id, status, **receipt)
        assert (await bot.post_whatsapp(posted)).status == 200
        await inbound_done(bot)

    graph.before_answer = receipt_first
    nid = await template_campaign(shared, "winter_sale", "marketing", ids)
    await finished(shared, nid)
    async with asyncio.timeout(10):
        while True:  # the receipt goes before the answer
            if graph.before_answer is None:
                break
            await asyncio.sleep(0.02)
    return shared, nid, ids


async def test_a_receipt_before_the_answer_bills_the_template_once(make_bot: BotFactory) -> None:
    shared, nid, _ = await campaign_receipted_early(
        make_bot, UK, "delivered", pricing_category="marketing", pricing_type="regular"
    )
    costs = await costs_once_billed(shared)
    assert costs["by_category"]["marketing"]["messages"] == 1
    assert costs["total"] == 0.0529 == costs["by_notification"][nid]
