"""A service that takes batches got its events back one per POST, and out of their order,
once it answered again after failing: each event of a batch that failed together took a
retry time of its own (its own jitter). A batch that fails together is retried together,
in the order its events were queued."""

from __future__ import annotations

from dataclasses import replace

from tests.conftest import FAST_DELIVERY, BotFactory
from tests.emulators import meta_webhooks as meta
from tests.test_fanout import ADMIN, WA_ID, opt_in_to_batches


async def test_a_failed_batch_comes_back_whole_and_in_order(make_bot: BotFactory) -> None:
    delivery = replace(FAST_DELIVERY, retry_base=1.0, retry_cap=2.0, concurrency=1, timeout=15.0)
    bot = await make_bot(delivery=delivery, admin_token=ADMIN)
    await opt_in_to_batches(bot, "support", 50)
    sink = bot.sinks["support"]
    sink.stall(10)  # the first POST waits: the events after it are taken together
    texts = [f"hello {index}" for index in range(12)]
    for text in texts:
        await bot.post_whatsapp(meta.text_message(bot.phone_number_id, WA_ID, text))
    await bot.settle()
    sink.heal()
    sink.fail(500, count=1)  # the batch of the events that waited fails once
    await sink.wait_for_count(12, type="message.inbound", timeout=30)
    inbound = [event["data"]["message"]["text"] for event in sink.events("message.inbound")]
    assert inbound == texts
    assert sink.posts <= 4, sink.posts  # the stalled one, the failed batch, the batch again
