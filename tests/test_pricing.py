"""Meta's per-message pricing as Meta bills it (AU-5): the free entry point window, the
``pricing`` object of status webhooks, volume tiers and authentication-international rates.
Each rule quotes Meta's pricing page:
https://developers.facebook.com/documentation/business-messaging/whatsapp/pricing"""

from __future__ import annotations

from typing import Any

import pytest
from redis.asyncio import Redis

from adapters.whatsapp import parse_webhook
from bot.config.base import ConfigError
from bot.config.notifications import rate_card
from bot.model import Inbound, Pricing, StatusUpdate
from stores.costs import CostLedger
from stores.redis import Keys
from tests.conftest import BotFactory
from tests.emulators import meta_webhooks as meta
from tests.test_costs import receipts
from tests.test_notifications import setup, until

PHONE_ID, WA_ID = "106540352242922", "447700900123"


def test_a_message_from_an_ad_carries_its_referral() -> None:
    """ "Clicks a call-to-actions button on an Ad that Clicks to WhatsApp": the message
    carries Meta's ``referral`` object, the mark of a free entry point."""
    payload = meta.text_message(PHONE_ID, WA_ID, "I saw your ad", referral=meta.ad_referral("42"))
    [message], _ = parse_webhook(payload, PHONE_ID)
    assert isinstance(message, Inbound) and message.referral == "ad:42"
    assert Inbound.from_dict(message.to_dict()) == message
    [plain], _ = parse_webhook(meta.text_message(PHONE_ID, WA_ID, "hi"), PHONE_ID)
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
    [status], _ = parse_webhook(payload, PHONE_ID)
    assert isinstance(status, StatusUpdate)
    assert status.pricing == Pricing(billable, "PMP", kind, category)
    assert StatusUpdate.from_dict(status.to_dict()) == status


def test_a_status_without_pricing_has_none() -> None:
    payload = meta.status_update(PHONE_ID, "wamid.1", WA_ID, "read")
    [status], _ = parse_webhook(payload, PHONE_ID)
    assert isinstance(status, StatusUpdate) and status.pricing is None


@pytest.mark.parametrize("pricing", [{"billable": "maybe"}, {"type": "discounted"}])
def test_a_pricing_object_that_says_nothing_known_keeps_the_receipt(pricing: Any) -> None:
    payload = meta.status_update(PHONE_ID, "wamid.1", WA_ID, "delivered")
    payload["entry"][0]["changes"][0]["value"]["statuses"][0]["pricing"] = pricing
    [status], unread = parse_webhook(payload, PHONE_ID)
    assert isinstance(status, StatusUpdate) and status.status == "delivered"
    assert status.pricing is None and unread == []


# --- the ledger: Meta's pricing object, volume tiers, authentication-international --------

NUMBER = "wa:106540352242922"
CARD = rate_card(
    {
        "currency": "USD",
        "home": "44",
        "44": {"marketing": 0.05, "utility": 0.02, "authentication": 0.03},
        "91": {
            "marketing": 0.01,
            "utility": 0.002,
            "authentication": 0.002,
            "authentication_international": 0.025,
        },
        "tiers": {"91": {"utility": {3: 0.0015, 5: 0.001}}},
    }
)


async def _send(
    ledger: CostLedger, send_id: str, country: str, category: str, *, free: bool = False
) -> None:
    async with ledger.redis.pipeline(transaction=False) as pipe:
        ledger.queue_price(
            pipe,
            NUMBER,
            send_id,
            category=CARD.category_of(country, category),
            country=country,
            price=0 if free else CARD.price(country, category),
            rates=CARD.rates_of(country),
        )
        await pipe.execute()


async def _receipt(
    ledger: CostLedger, send_id: str, status: str, pricing: Pricing | None = None
) -> None:
    async with ledger.redis.pipeline(transaction=False) as pipe:
        ledger.queue_outcome(pipe, NUMBER, send_id, status, pricing)
        await pipe.execute()


async def test_meta_pricing_object_is_the_truth_and_disagreements_are_kept(
    store: Redis, prefix: str
) -> None:
    """ "If a message is charged, you can expect that at least one webhook (delivered or
    read) will contain the pricing information." What Meta says it billed is what the
    ledger bills; where the rate card predicted otherwise, the disagreement is kept."""
    ledger = CostLedger(store, Keys(prefix))
    await _send(ledger, "snd_free", "44", "marketing")  # predicted 0.05
    await _send(ledger, "snd_charged", "44", "utility", free=True)  # predicted free
    await _send(ledger, "snd_agreed", "44", "marketing")
    free = Pricing(False, "PMP", "free_entry_point", "referral_conversion")
    await _receipt(ledger, "snd_free", "sent", free)  # pricing on sent, bill on delivered
    await _receipt(ledger, "snd_free", "delivered")
    await _receipt(ledger, "snd_charged", "delivered", Pricing(True, "PMP", "regular", "utility"))
    await _receipt(ledger, "snd_agreed", "delivered", Pricing(True, "PMP", "regular", "marketing"))
    totals = await ledger.totals(NUMBER)
    assert totals["total"] == 50_000 + 20_000
    assert totals["free:referral_conversion"] == 1 and totals["cat:utility"] == 20_000
    assert totals["disagreements"] == 2
    kept = {d["send_id"]: d for d in await ledger.disagreements(NUMBER)}
    assert kept["snd_free"]["predicted"] == 50_000 and kept["snd_free"]["billed"] == 0
    assert kept["snd_free"]["type"] == "free_entry_point"
    assert kept["snd_charged"]["predicted"] == 0 and kept["snd_charged"]["billed"] == 20_000


async def test_volume_tiers_lower_the_rate_within_a_month(store: Redis, prefix: str) -> None:
    """ "You can unlock lower rates for utility and authentication template messages,
    based on messaging volume": a market's charged messages of the category in the month
    pass the tiers' thresholds; free messages do not count."""
    ledger = CostLedger(store, Keys(prefix))
    for n in range(6):
        await _send(ledger, f"snd_{n}", "91", "utility")
        await _receipt(ledger, f"snd_{n}", "delivered")
    await _send(ledger, "snd_free", "91", "utility", free=True)
    await _receipt(ledger, "snd_free", "delivered")
    totals = await ledger.totals(NUMBER)
    # 1st, 2nd at 0.002; 3rd, 4th at 0.0015; 5th, 6th at 0.001
    assert totals["cat:utility"] == 2 * 2_000 + 2 * 1_500 + 2 * 1_000
    assert totals["count:utility"] == 7 and totals["free:utility"] == 1


def test_authentication_abroad_is_billed_the_authentication_international_rate() -> None:
    """ "If you send an authentication template message to a WhatsApp user whose country
    calling code is for a country that has an authentication-international rate, the
    delivered message will be billed the country's authentication-international rate if
    [...] your business is based in another country.\""""
    assert CARD.category_of("91", "authentication") == "authentication-international"
    assert CARD.price("91", "authentication") == 25_000
    assert CARD.category_of("44", "authentication") == "authentication"  # home
    assert CARD.price("44", "authentication") == 30_000
    assert CARD.category_of("91", "utility") == "utility"
    abroad = rate_card({"91": {"authentication": 0.002, "authentication_international": 0.025}})
    assert abroad.price("91", "authentication") == 2_000  # no home: not eligible


@pytest.mark.parametrize(
    "bad",
    [
        {"home": "+44"},
        {"tiers": {"91": {"marketing": {10: 0.01}}}},
        {"tiers": {"91": {"utility": {"many": 0.01}}}},
        {"tiers": {"91": {"utility": {10: -1}}}},
        {"tiers": ["91"]},
        {"44": {"utility": True}},
    ],
)
def test_a_bad_tier_or_home_stops_the_start(bad: Any) -> None:
    with pytest.raises(ConfigError):
        rate_card(bad)


async def test_a_reply_meta_says_it_billed_is_billed_once(make_bot: BotFactory) -> None:
    """The pricing object is the truth for sends the rate card never priced too: a text
    reply is free in the customer service window ("free_customer_service"), but when
    Meta's receipt says it charged one, the ledger bills it, once, at the card's rate."""
    card = rate_card({"currency": "GBP", "44": {"service": 0.004, "marketing": 0.05}})
    shared = await setup(make_bot, rate_card=card)
    assert (await shared.reply("sales", "First reply")).status == 201
    assert (await shared.reply("sales", "Second reply")).status == 201
    await shared.bot.settle()
    first, second = [m for m in shared.graph.sent if m.text in ("First reply", "Second reply")]
    await receipts(shared, [first], "delivered", "service", "regular")
    await receipts(shared, [first], "delivered", "service", "regular")  # Meta's retry
    await receipts(shared, [first], "read")
    await receipts(shared, [second], "delivered", "service")  # free_customer_service

    async def billed() -> Any:
        answer = await shared.call("support", "GET", f"/v1/numbers/{shared.number}/costs")
        costs = answer.json["costs"]
        return costs if costs["total"] else None

    costs = await until(billed, what="the reply to be billed")
    assert costs["by_category"] == {"service": {"amount": 0.004, "messages": 1, "free": 0}}
    assert costs["by_country"] == {"44": 0.004} and costs["disagreements"] == 0


@pytest.mark.parametrize(
    ("errors", "code"),
    [
        (None, "131047"),  # Meta's re-engagement failure, as the emulator sends it
        ([{"code": 131026, "title": "Message undeliverable"}], "131026"),
        ([{"code": "131026", "title": "a code that is not a number"}], ""),
        ([{"code": True, "title": "x"}], ""),
        ([{"title": "no code"}], ""),
    ],
)
def test_a_failed_status_carries_metas_error_code(errors: Any, code: str) -> None:
    payload = meta.status_update(PHONE_ID, "wamid.x", WA_ID, "failed", errors=errors)
    [status], _ = parse_webhook(payload, PHONE_ID)
    assert isinstance(status, StatusUpdate) and status.error_code == code
