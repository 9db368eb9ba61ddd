"""Events queued for a subscriber that was down were delivered after ``profile.erased``,
still carrying the erased text.

A subscriber's endpoint failed while a customer wrote. The customer's profile was erased
through the API, which stripped the timeline. When the subscriber came back, the retries
of the events queued for it arrived after ``profile.erased``, with the customer's words,
name and phone in them. Erasure now strips the same content from every event still
queued (waiting, scheduled for a retry, or dead-lettered), as it strips the timeline.
"""

from __future__ import annotations

from tests.conftest import BotFactory
from tests.emulators import meta_webhooks as meta
from tests.test_api import call

ADMIN = "admin-" + "e" * 32
WA_ID = "447911123456"
WORDS = "my account number is 9917-3321"
NAME = "Annabel Quist"


async def test_queued_events_carry_no_erased_content(make_bot: BotFactory) -> None:
    bot = await make_bot(services=("support", "crm"), admin_token=ADMIN)
    support, crm = bot.sinks["support"], bot.sinks["crm"]
    crm.fail(503)  # down: every delivery to it fails and is retried

    payload = meta.text_message(bot.phone_number_id, WA_ID, WORDS, name=NAME)
    assert (await bot.post_whatsapp(payload)).status == 200
    await support.wait_for_count(1, "message.inbound")
    [inbound] = support.events("message.inbound")
    assert inbound["data"]["message"]["text"] == WORDS
    await crm.wait_for(lambda _: crm.failed_attempts >= 3)  # it was tried, and tried again

    erased = await call(bot, ADMIN, "DELETE", f"/v1/profiles/wa:{WA_ID}")
    assert erased.status == 200, erased.raw
    crm.heal()

    # The message still reaches crm, as an event that happened, without its content.
    await crm.wait_for(lambda _: any(d.event_id == inbound["id"] for d in crm.deliveries))
    await crm.wait_for_count(1, "profile.erased")
    for delivery in crm.deliveries:
        for secret in (WORDS, NAME, WA_ID):
            assert secret.encode() not in delivery.raw_body, delivery.event
    [late] = crm.events("message.inbound")
    assert late["data"]["erased"] is True
    assert late["data"]["customer"] == "erased"
    assert late["data"]["message"]["id"] == inbound["data"]["message"]["id"]
