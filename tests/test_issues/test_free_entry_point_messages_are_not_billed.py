"""The ledger billed templates sent in a free entry point window. Meta's pricing page
(https://developers.facebook.com/documentation/business-messaging/whatsapp/pricing): "All
messages are free for 72 hours, including template messages, if sent within an open free
entry point window", which opens when "a user messages a business from an ad that clicks
to WhatsApp or a Facebook Page action button, and the business responds within 24 hours"."""

from __future__ import annotations

import time
from typing import Any

from bot.config.notifications import rate_card
from bot.model import Identity, conversation_id
from tests.conftest import BotFactory
from tests.emulators import meta_webhooks as meta
from tests.test_api import WA_ID
from tests.test_costs import receipts
from tests.test_notifications import campaign, finished, setup, until

CARD = rate_card({"currency": "GBP", "44": {"marketing": 0.0529, "utility": 0.0220}})
FROM_AD = "447911700077"


async def test_a_template_in_a_free_entry_point_window_costs_nothing(
    make_bot: BotFactory,
) -> None:
    shared = await setup(make_bot, rate_card=CARD)
    bot, runtime = shared.bot, shared.bot.runtime
    payload = meta.text_message(
        bot.phone_number_id, FROM_AD, "Saw your ad", referral=meta.ad_referral()
    )
    assert (await bot.post_whatsapp(payload)).status == 200
    await shared.graph.wait_for_sent(2)  # the welcome answers the ad within 24 hours
    await bot.settle()
    for wa in (FROM_AD, WA_ID):
        profile = await runtime.profile_book.find(f"wa:{wa}")
        await runtime.profiles.update(profile, {"f:consent": "consent"})
    from_ad = conversation_id(shared.number, Identity("wa", FROM_AD))
    meta_of_ad = await runtime.conversations.meta(from_ad)
    assert float(meta_of_ad["free_until"]) >= time.time() + 71 * 3600

    body = {
        "number": shared.number,
        "template": {"name": "winter_sale", "language": "en", "category": "marketing"},
        "audience": {"conversations": [from_ad, shared.conversation]},
    }
    nid = await campaign(shared, body)
    assert (await finished(shared, nid))["counts"]["sent"] == 2
    templates = [m for m in shared.graph.sent if m.type == "template"]
    await receipts(shared, templates, "delivered")  # no pricing object: as predicted

    async def billed() -> Any:
        answer = await shared.call("support", "GET", f"/v1/numbers/{shared.number}/costs")
        return answer.json["costs"] if answer.json["costs"]["pending"] == 0 else None

    costs = await until(billed, what="the receipts to be billed")
    assert costs["by_category"] == {"marketing": {"amount": 0.0529, "messages": 2, "free": 1}}
    assert costs["by_country"] == {"44": 0.0529}


async def test_an_answer_after_24_hours_opens_no_free_window(make_bot: BotFactory) -> None:
    """Only a response within 24 hours of the ad's message opens the window."""
    shared = await setup(make_bot, rate_card=CARD)
    runtime = shared.bot.runtime
    from_ad = conversation_id(shared.number, Identity("wa", FROM_AD))
    wrote = time.time() - 25 * 3600
    message = {"id": "wamid.ad", "direction": "inbound", "kind": "text", "text": "Saw your ad"}
    message |= {"timestamp": wrote, "referral": "ad:1"}
    answer = {"id": "snd_late", "direction": "outbound", "kind": "text", "text": "Hello"}
    answer |= {"timestamp": time.time()}
    async with runtime.redis.pipeline(transaction=False) as pipe:
        for record, direction in ((message, "inbound"), (answer, "outbound")):
            runtime.conversations.queue_record(
                pipe,
                from_ad,
                record,
                direction=direction,
                number=shared.number,
                customer=f"wa:{FROM_AD}",
                channel="whatsapp",
            )
        await pipe.execute()
    found = await runtime.conversations.meta(from_ad)
    assert float(found["referral_at"]) == wrote and "free_until" not in found
