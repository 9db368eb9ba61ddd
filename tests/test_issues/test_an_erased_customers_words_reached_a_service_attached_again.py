"""A service detached while its deliveries waited for a retry kept the erased customer's
words in its queue, and got them once it was attached again.

A subscriber's endpoint failed while a customer wrote, and the operator detached it from
every number. The customer was then erased: the erasure stripped the events still queued
for the services attached, but not those of the detached one, whose queue stays. Attached
again, the service received the customer's message with its text, name and phone. An
erasure now strips the queue of every service that has one, attached or not.
"""

from __future__ import annotations

import asyncio

from tests.conftest import BotFactory
from tests.emulators import meta_webhooks as meta
from tests.test_api import call

ADMIN = "admin-" + "e" * 32
WA_ID = "447911123456"
WORDS = "my account number is 9917-3321"
NAME = "Annabel Quist"


async def test_an_erased_customers_words_never_reach_a_service_attached_again(
    make_bot: BotFactory,
) -> None:
    bot = await make_bot(services=("support", "crm"), admin_token=ADMIN)
    support, crm = bot.sinks["support"], bot.sinks["crm"]
    crm.fail(503)  # down: its delivery waits for a retry

    payload = meta.text_message(bot.phone_number_id, WA_ID, WORDS, name=NAME)
    assert (await bot.post_whatsapp(payload)).status == 200
    await support.wait_for_count(1, "message.inbound")
    [inbound] = support.events("message.inbound")
    await crm.wait_for(lambda _: crm.failed_attempts >= 2)

    detached = await call(bot, ADMIN, "DELETE", "/v1/services/crm")
    assert detached.status == 200, detached.raw
    async with asyncio.timeout(10):  # the fan-out has followed: it delivers crm no more
        while True:
            if "crm" not in bot.runtime.couriers.services():
                break
            await asyncio.sleep(0.05)

    erased = await call(bot, ADMIN, "DELETE", f"/v1/profiles/wa:{WA_ID}")
    assert erased.status == 200, erased.raw
    crm.heal()
    number = f"wa:{bot.phone_number_id}"
    again = {"name": "crm", "url": crm.url, "secret": crm.secret, "numbers": [number]}
    attached = await call(bot, ADMIN, "POST", "/v1/services", again)
    assert attached.status in (200, 201), attached.raw

    # The message still reaches crm, as an event that happened, without its content.
    await crm.wait_for(lambda _: any(d.event_id == inbound["id"] for d in crm.deliveries))
    for delivery in crm.deliveries:
        for secret in (WORDS, NAME, WA_ID):
            assert secret.encode() not in delivery.raw_body, delivery.event
    [late] = crm.events("message.inbound")
    assert late["data"]["erased"] is True
