"""Fan-out retried a failing delivery with backoff and dead-lettered it past the retry
horizon, but only when the delivery failed politely (an HTTP error, a timeout). One
whose attempt raised (an event that could not be read, a receiver in the process that
failed) left its task with an exception nobody read: the delivery was never rescheduled
nor dead-lettered, and was taken back and tried again every few seconds, forever.

Now such an attempt is a failed attempt like any other: retried with backoff, and a dead
letter past the horizon, which ``admin dead-letters SERVICE`` lists. The service's other
events go on meanwhile.
"""

from __future__ import annotations

import asyncio
import os
import time

from bot.config.settings import DeliverySettings
from tests.botprocess import run_command
from tests.conftest import PHONE_NUMBER_ID, REDIS_URL, BotFactory
from tests.emulators import meta_webhooks as meta
from tests.scrape import scrape

# Cut short: the event names itself a reply, so a masking service's copy must be read.
UNREADABLE = '{"id": "evt_cut_short", "type": "message.outbound", "data": {"text": "Hi'
QUICK = DeliverySettings(retry_base=0.05, retry_cap=0.2, retry_horizon=1.0, timeout=2.0)


async def test_a_delivery_whose_attempt_raises_becomes_a_dead_letter(
    make_bot: BotFactory,
) -> None:
    bot = await make_bot(delivery=QUICK)
    sink = bot.sinks["support"]
    await bot.runtime.deliveries.add([("support", UNREADABLE, "evt_cut_short")], time.time())
    await bot.post_whatsapp(meta.text_message(PHONE_NUMBER_ID, "447911000201", "hi"))
    await sink.wait_for_count(1, "message.inbound")

    async with asyncio.timeout(15):
        while True:
            if await bot.runtime.deliveries.dead_letters("support"):
                break
            await asyncio.sleep(0.1)

    env = {
        **os.environ,
        "REDIS_URL": REDIS_URL,
        "SWITCHBOARD_KEY_PREFIX": bot.runtime.settings.key_prefix,
        "SWITCHBOARD_CONFIG": os.devnull,
    }
    code, out, err = await run_command(env, "admin", "dead-letters", "support")
    assert code == 0, err
    [line] = out.splitlines()
    assert "evt_cut_short" in line
    assert await scrape(bot.client, "fanout_dead_lettered_total", service="support") == 1
    assert await bot.runtime.deliveries.pending("support") == 0
