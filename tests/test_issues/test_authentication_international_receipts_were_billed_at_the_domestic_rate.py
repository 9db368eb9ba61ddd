"""Meta's status webhooks name the authentication-international rate
``authentication_international``, where the rate card's prices and the ledger had
``authentication-international``: with no ``home`` country, an authentication code to India
was charged the domestic 0.002 where Meta billed 0.025, and with one, each was counted a
disagreement and kept under a second category. Both spellings are one category."""

from __future__ import annotations

from redis.asyncio import Redis

from adapters.whatsapp import parse_webhook
from bot.config.notifications import rate_card
from bot.model import StatusUpdate
from tests.conftest import PHONE_NUMBER_ID
from tests.emulators import meta_webhooks as meta
from tests.test_issues.test_a_message_meta_billed_otherwise_was_charged_the_predicted_price import (
    bill,
)


def receipt(category: str) -> StatusUpdate:
    """Meta's delivered receipt, as the webhook's parser reads it."""
    payload = meta.status_update(
        PHONE_NUMBER_ID, "wamid.auth1", "919876543210", "delivered", pricing_category=None
    )
    item = payload["entry"][0]["changes"][0]["value"]["statuses"][0]
    item["pricing"] = {"billable": True, "pricing_model": "PMP", "type": "regular"}
    item["pricing"]["category"] = category
    (status,), _ = parse_webhook(payload, PHONE_NUMBER_ID)
    assert isinstance(status, StatusUpdate)
    return status


async def test_authentication_international_is_billed_at_its_rate(
    store: Redis, prefix: str
) -> None:
    rates = {"91": {"authentication": 0.002, "authentication_international": 0.025}}
    away = rate_card({"currency": "USD", **rates})
    status = receipt("authentication_international")
    assert status.pricing is not None
    totals = await bill(store, prefix, away, "authentication", "91", status.pricing)
    assert totals["total"] == 25_000
    assert totals["cat:authentication-international"] == 25_000
    # Where the card knows the business's home, it predicted that rate: no disagreement.
    home = rate_card({"currency": "USD", "home": "44", **rates})
    totals = await bill(store, prefix + "home:", home, "authentication", "91", status.pricing)
    assert (totals["total"], totals.get("disagreements", 0)) == (25_000, 0)
    assert set(k for k in totals if k.startswith("cat:")) == {"cat:authentication-international"}
