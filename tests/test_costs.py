"""The cost ledger (AU-5): templates billed per delivered message by category and the
recipient's country, utility templates inside an open window free, nothing billed twice,
and the totals per number, notification and category over the API."""

from __future__ import annotations

import time
from typing import Any

import pytest

from bot.config.base import ConfigError
from bot.config.notifications import RateCard, rate_card
from tests.conftest import BotFactory
from tests.emulators import meta_webhooks as meta
from tests.test_api import WA_ID, Shared
from tests.test_notifications import Person, campaign, finished, report, seed, setup, until

CARD = rate_card(
    {
        "currency": "GBP",
        "44": {"marketing": 0.0529, "utility": 0.0220, "authentication": 0.0358},
        "default": {"marketing": 0.0625, "utility": 0.0080},
    }
)
UK_OPEN, UK_CLOSED, US_CLOSED = "447911700001", "447911700002", "14155550123"


def test_the_rate_card_is_read_in_millionths() -> None:
    assert CARD.currency == "GBP"
    assert CARD.price("44", "marketing") == 52_900
    assert CARD.price("1", "marketing") == 62_500  # the default
    assert CARD.price("1", "authentication") == 0  # nothing set: free
    assert RateCard().price("44", "utility") == 0


@pytest.mark.parametrize(
    "bad",
    [
        {"currency": "pounds"},
        {"44": {"promo": 1}},
        {"abc": {"utility": 1}},
        {"44": {"utility": "cheap"}},
        {"44": {"utility": -1}},
        ["44"],
    ],
)
def test_a_bad_rate_card_stops_the_start(bad: Any) -> None:
    with pytest.raises(ConfigError):
        rate_card(bad)


async def receipts(
    shared: Shared, sends: list[Any], status: str, category: str | None = None, kind: str = ""
) -> None:
    """Meta's receipts of ``sends``; with Meta's ``pricing`` object when ``category`` is
    given, else none (the ledger then bills as the rate card predicted)."""
    payloads = [
        meta.status_update(
            shared.bot.phone_number_id,
            m.message_id,
            m.to,
            status,
            pricing_category=category,
            pricing_type=kind,
        )
        for m in sends
    ]
    answer = await shared.bot.post_whatsapp(meta.batch(*payloads))
    assert answer.status == 200
    await shared.bot.settle()


async def template_campaign(shared: Shared, name: str, category: str, ids: list[str]) -> str:
    body = {
        "number": shared.number,
        "template": {"name": name, "language": "en", "category": category},
        "audience": {"profiles": ids},
    }
    return await campaign(shared, body)


async def test_templates_are_billed_when_delivered_by_category_and_country(
    make_bot: BotFactory,
) -> None:
    shared = await setup(make_bot, rate_card=CARD)
    now = time.time()
    people = [
        Person(UK_OPEN, {"consent": "consent"}, now - 60),
        Person(UK_CLOSED, {"consent": "consent"}, now - 30 * 3600),
        Person(US_CLOSED, {"consent": "contract"}, now - 30 * 3600),
    ]
    ids = await seed(shared.bot.runtime, shared.number, people)
    utility = await template_campaign(shared, "order_update", "utility", ids)
    await finished(shared, utility)
    marketing = await template_campaign(shared, "winter_sale", "marketing", ids)
    await finished(shared, marketing)
    sent = {
        (m.body["template"]["name"], m.to): m for m in shared.graph.sent if m.type == "template"
    }
    assert len(sent) == 6

    costs = await shared.call("sales", "GET", f"/v1/numbers/{shared.number}/costs")
    assert costs.status == 200 and costs.json["costs"]["total"] == 0  # nothing delivered yet
    assert costs.json["costs"]["pending"] == 6

    delivered = [sent["order_update", to] for to in (UK_OPEN, UK_CLOSED, US_CLOSED)]
    delivered += [sent["winter_sale", UK_OPEN], sent["winter_sale", US_CLOSED]]
    await receipts(shared, delivered, "delivered")
    await receipts(shared, delivered[:2], "read")  # read after delivered: billed once
    await receipts(shared, delivered[:1], "delivered")  # Meta's retry: billed once
    await receipts(shared, [sent["winter_sale", UK_CLOSED]], "failed")  # never billed

    async def billed() -> Any:
        answer = await shared.call("support", "GET", f"/v1/numbers/{shared.number}/costs")
        return answer.json["costs"] if answer.json["costs"]["pending"] == 0 else None

    costs_now = await until(billed, what="the receipts to be billed")
    assert costs_now == {
        "number": shared.number,
        "currency": "GBP",
        "total": 0.1454,  # 0 + 0.0220 + 0.0080 + 0.0529 + 0.0625
        "by_category": {
            "marketing": {"amount": 0.1154, "messages": 2, "free": 0},
            "utility": {"amount": 0.03, "messages": 3, "free": 1},  # in its window: free
        },
        "by_country": {"44": 0.0749, "1": 0.0705},
        "by_notification": {utility: 0.03, marketing: 0.1154},
        "disagreements": 0,
        "pending": 0,
    }
    found = await report(shared, marketing)
    assert found["cost"] == {"currency": "GBP", "amount": 0.1154}
    assert (found["counts"]["delivered"], found["counts"]["failed"]) == (2, 1)
    stats = await shared.bot.runtime.outreach.notifications.stats([shared.number])
    assert stats[0]["cost"]["total"] == 0.1454 and stats[0]["notifications"] == 2

    unknown = await shared.call("support", "GET", "/v1/numbers/wa:000/costs")
    assert unknown.status == 404


async def test_replies_and_texts_in_the_window_cost_nothing(make_bot: BotFactory) -> None:
    shared = await setup(make_bot, rate_card=CARD)
    runtime = shared.bot.runtime
    profile = await runtime.profile_book.find(f"wa:{WA_ID}")
    await runtime.profiles.update(profile, {"f:consent": "consent"})
    assert (await shared.reply("sales", "An agent's reply")).status == 201
    body = {
        "number": shared.number,
        "text": "In the window: a text, free",
        "template": {"name": "winter_sale", "category": "marketing"},
        "audience": {"conversations": [shared.conversation]},
    }
    nid = await campaign(shared, body)
    assert (await finished(shared, nid))["counts"]["sent"] == 1
    await shared.bot.settle()
    assert [m.type for m in shared.graph.sent] == ["text", "text", "text"]
    await receipts(shared, list(shared.graph.sent), "delivered")
    costs = (await shared.call("support", "GET", f"/v1/numbers/{shared.number}/costs")).json
    assert costs["costs"]["total"] == 0 and costs["costs"]["by_category"] == {}
    assert costs["costs"]["pending"] == 0
