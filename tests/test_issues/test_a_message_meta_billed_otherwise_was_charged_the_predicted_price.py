"""Meta's status webhook says how it billed a message (``pricing``): when it billed it as
a category the rate card has no price for (a marketing template it took as utility, where
only marketing is priced), the ledger charged the predicted category's price under
Meta's. Meta's category is billed at its own rate (the country's, else the default),
else nothing."""

from __future__ import annotations

from typing import Any

from redis.asyncio import Redis

from bot.config.notifications import rate_card
from bot.model import Pricing
from stores.costs import CostLedger
from stores.redis import Keys
from tests.conftest import PHONE_NUMBER_ID

NUMBER = f"wa:{PHONE_NUMBER_ID}"


async def bill(
    store: Redis, prefix: str, card: Any, category: str, country: str, pricing: Pricing
) -> dict[str, int]:
    """Note one send as the rate card prices it, then Meta's delivered receipt."""
    ledger = CostLedger(store, Keys(prefix))
    async with store.pipeline(transaction=False) as pipe:
        ledger.queue_price(
            pipe,
            NUMBER,
            "snd_1",
            category=card.category_of(country, category),
            country=country,
            price=card.price(country, category),
            rates=card.rates_of(country),
        )
        ledger.queue_outcome(pipe, NUMBER, "snd_1", "delivered", pricing)
        await pipe.execute()
    return await ledger.totals(NUMBER)


async def test_a_category_the_card_does_not_price_is_free(store: Redis, prefix: str) -> None:
    card = rate_card({"currency": "GBP", "44": {"marketing": 0.05}})
    utility = Pricing(True, "PMP", "regular", "utility")
    totals = await bill(store, prefix, card, "marketing", "44", utility)
    assert totals["total"] == 0
    assert totals["count:utility"] == 1 and totals["disagreements"] == 1
