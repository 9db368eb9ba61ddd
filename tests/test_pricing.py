"""Meta's per-message pricing as Meta bills it (AU-5): the free entry point window, the
``pricing`` object of status webhooks, volume tiers and authentication-international rates.
Each rule quotes Meta's pricing page:
https://developers.facebook.com/documentation/business-messaging/whatsapp/pricing"""

from __future__ import annotations

from typing import Any

import pytest

from adapters.whatsapp import PayloadError, parse_webhook
from bot.model import Inbound, Pricing, StatusUpdate
from tests.emulators import meta_webhooks as meta

PHONE_ID, WA_ID = "106540352242922", "447700900123"


def test_a_message_from_an_ad_carries_its_referral() -> None:
    """ "Clicks a call-to-actions button on an Ad that Clicks to WhatsApp": the message
    carries Meta's ``referral`` object, the mark of a free entry point."""
    payload = meta.text_message(PHONE_ID, WA_ID, "I saw your ad", referral=meta.ad_referral("42"))
    [message] = parse_webhook(payload, PHONE_ID)
    assert isinstance(message, Inbound) and message.referral == "ad:42"
    assert Inbound.from_dict(message.to_dict()) == message
    [plain] = parse_webhook(meta.text_message(PHONE_ID, WA_ID, "hi"), PHONE_ID)
    assert isinstance(plain, Inbound) and plain.referral == ""


@pytest.mark.parametrize(
    ("category", "kind", "billable"),
    [
        ("marketing", "regular", True),
        ("utility", "free_customer_service", False),
        ("referral_conversion", "free_entry_point", False),
        ("authentication-international", "regular", True),
    ],
)
def test_a_status_carries_how_meta_bills_the_message(
    category: str, kind: str, billable: bool
) -> None:
    """ "We recommend that you start using pricing.type and pricing.category together to
    determine if a message is billable, and if so, its billing rate.\""""
    payload = meta.status_update(
        PHONE_ID, "wamid.1", WA_ID, "delivered", pricing_category=category, pricing_type=kind
    )
    [status] = parse_webhook(payload, PHONE_ID)
    assert isinstance(status, StatusUpdate)
    assert status.pricing == Pricing(billable, "PMP", kind, category)
    assert StatusUpdate.from_dict(status.to_dict()) == status


def test_a_status_without_pricing_has_none() -> None:
    payload = meta.status_update(PHONE_ID, "wamid.1", WA_ID, "read")
    [status] = parse_webhook(payload, PHONE_ID)
    assert isinstance(status, StatusUpdate) and status.pricing is None


@pytest.mark.parametrize("pricing", [{"billable": "maybe"}, {"type": "discounted"}])
def test_a_pricing_object_that_says_nothing_known_is_refused(pricing: Any) -> None:
    payload = meta.status_update(PHONE_ID, "wamid.1", WA_ID, "delivered")
    payload["entry"][0]["changes"][0]["value"]["statuses"][0]["pricing"] = pricing
    with pytest.raises(PayloadError):
        parse_webhook(payload, PHONE_ID)
