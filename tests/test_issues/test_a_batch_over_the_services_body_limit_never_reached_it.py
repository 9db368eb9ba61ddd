"""A service that takes batches never got the events of a batch over its body limit.

Its receiver took bodies of a size (aiohttp's 1 MiB by default) and answered a larger one
413. The events that had waited came back in one batch, which it refused; its retry came
back the same, as a batch that fails together is retried together, until every event of
it was dead-lettered, although each would have fitted alone or in a smaller batch. A 413
to a batch of several events now splits it: its halves go at once, each on its own.
"""

from __future__ import annotations

from dataclasses import replace

from tests.conftest import FAST_DELIVERY, BotFactory
from tests.emulators import meta_webhooks as meta
from tests.test_fanout import ADMIN, WA_ID, opt_in_to_batches


async def test_a_batch_over_the_body_limit_reaches_the_service_in_halves(
    make_bot: BotFactory,
) -> None:
    delivery = replace(FAST_DELIVERY, concurrency=1, timeout=15.0)
    bot = await make_bot(delivery=delivery, admin_token=ADMIN)
    await opt_in_to_batches(bot, "support", 50)
    sink = bot.sinks["support"]
    sink.max_body = 4000  # about three of these events
    sink.stall(10)  # the first POST waits: the events after it are taken together
    texts = [f"{index} " + "x" * 600 for index in range(12)]
    for text in texts:
        await bot.post_whatsapp(meta.text_message(bot.phone_number_id, WA_ID, text))
    await bot.settle()
    sink.heal()

    await sink.wait_for_count(12, type="message.inbound", timeout=20)
    inbound = [event["data"]["message"]["text"] for event in sink.events("message.inbound")]
    assert inbound == texts
    assert any(rejection.reason == "body too large" for rejection in sink.rejected)
