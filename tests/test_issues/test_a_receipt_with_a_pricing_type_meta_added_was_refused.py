"""Meta adds pricing types (it replaced conversation pricing with per-message pricing, and
calls ``billable`` deprecated). A delivery receipt whose ``pricing`` had a ``type`` this
version did not know and no ``billable`` was refused whole: its message stayed "sent" in
the timeline, and a webhook holding only such receipts got 400, which Meta resends for
days. The receipt is kept now, without its price, and the log says so once."""

from __future__ import annotations

import logging

import pytest

from tests.conftest import PHONE_NUMBER_ID, BotFactory
from tests.emulators import meta_webhooks as meta


async def test_a_receipt_of_an_unknown_pricing_type_is_kept(
    make_bot: BotFactory, caplog: pytest.LogCaptureFixture
) -> None:
    bot = await make_bot()
    assert bot.graph is not None
    wa_id = "447911123104"
    answer = await bot.post_whatsapp(meta.text_message(PHONE_NUMBER_ID, wa_id, "hi"))
    assert answer.status == 200
    (welcome,) = await bot.graph.wait_for_sent(1, timeout=10)
    await bot.settle()
    receipts = []
    for n in range(2):
        receipt = meta.status_update(PHONE_NUMBER_ID, welcome.message_id, wa_id, "delivered")
        status = receipt["entry"][0]["changes"][0]["value"]["statuses"][0]
        status["pricing"] = {"type": "discounted_promo", "category": "marketing"}
        status["timestamp"] = str(int(status["timestamp"]) + n)
        receipts.append(receipt)
    with caplog.at_level(logging.WARNING, logger="adapters.whatsapp"):
        for receipt in receipts:
            assert (await bot.post_whatsapp(receipt)).status == 200
    await bot.settle()
    timeline = await bot.runtime.conversations.timeline(bot.conversation(wa_id))
    (sent,) = [m for m in timeline if m["direction"] == "outbound"]
    assert sent["status"] == "delivered"
    told = [r for r in caplog.records if "discounted_promo" in r.getMessage()]
    assert len(told) == 1  # once, not on every receipt
