"""A service that takes batches got one POST holding a conversation's messages out of the
order they were queued, after failing for a while.

Each event it refused alone took a retry time of its own (its own jitter), and the events
went back on its queue in the order they fell due, which the batch kept: a customer's
"4, 3, 2, 8" in one POST. The events of a batch now go in the order they were queued.
"""

from __future__ import annotations

from dataclasses import replace

from tests.conftest import FAST_DELIVERY, BotFactory
from tests.emulators import meta_webhooks as meta
from tests.test_fanout import ADMIN, WA_ID, opt_in_to_batches


async def test_a_batch_after_an_outage_holds_the_events_in_the_order_queued(
    make_bot: BotFactory,
) -> None:
    delivery = replace(FAST_DELIVERY, retry_base=1.0, retry_cap=2.0, concurrency=1, timeout=15.0)
    bot = await make_bot(delivery=delivery, admin_token=ADMIN)
    await opt_in_to_batches(bot, "support", 50)
    sink = bot.sinks["support"]
    sink.fail(500)  # each event is refused alone, as it comes
    texts = [f"hello {index}" for index in range(10)]
    for text in texts:
        await bot.post_whatsapp(meta.text_message(bot.phone_number_id, WA_ID, text))
    await bot.settle()
    await sink.wait_for(lambda _: sink.failed_attempts >= len(texts))
    sink.heal()
    sink.stall(3)  # the first retry waits: the others fall due meanwhile, in any order

    await sink.wait_for_count(len(texts), type="message.inbound", unique=True, timeout=30)
    posts: dict[bytes, list[str]] = {}  # each POST's inbound texts, as it held them
    for delivery_ in sink.deliveries:
        if delivery_.event["type"] == "message.inbound":
            said = delivery_.event["data"]["message"]["text"]
            posts.setdefault(delivery_.raw_body, []).append(said)
    assert any(len(said) > 1 for said in posts.values()), posts  # some came together
    for said in posts.values():
        assert said == sorted(said, key=texts.index), said
