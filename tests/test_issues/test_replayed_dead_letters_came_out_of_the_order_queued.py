"""``admin dead-letters SERVICE --replay`` queued a service's dead letters again in the
order they were dead-lettered, which is the order their last retries fell due: a service
that takes batches got a conversation's messages scrambled in one POST. The replay queues
them in the order they were first queued."""

from __future__ import annotations

import time

from bot.config.settings import DeliverySettings
from tests.conftest import BotFactory
from tests.emulators import meta_webhooks as meta
from tests.test_crash import wait_until
from tests.test_fanout import ADMIN, WA_ID, opt_in_to_batches


async def test_replayed_dead_letters_come_in_the_order_queued(make_bot: BotFactory) -> None:
    delivery = DeliverySettings(
        retry_base=0.1, retry_cap=0.3, retry_horizon=1.0, timeout=5, concurrency=1
    )
    bot = await make_bot(delivery=delivery, admin_token=ADMIN)
    await opt_in_to_batches(bot, "support", 50)
    sink = bot.sinks["support"]
    sink.fail(500)
    texts = [f"hello {index}" for index in range(10)]
    for text in texts:
        await bot.post_whatsapp(meta.text_message(bot.phone_number_id, WA_ID, text))
    deliveries = bot.runtime.deliveries

    async def all_dead() -> str:
        dead = await deliveries.dead_letters("support")
        inbound = [d for d in dead if '"message.inbound"' in d.event]
        return "" if len(inbound) == len(texts) else f"{len(inbound)} of {len(texts)} dead"

    await wait_until(all_dead, timeout=30)
    sink.heal()
    assert await deliveries.replay_dead_letters("support", time.time()) > 0

    await sink.wait_for_count(len(texts), type="message.inbound", timeout=15)
    said = [e["data"]["message"]["text"] for e in sink.events("message.inbound")]
    assert said == texts
