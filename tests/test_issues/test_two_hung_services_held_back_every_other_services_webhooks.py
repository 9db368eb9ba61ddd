"""Two services that stopped answering held back every other service's webhooks by the
whole delivery timeout: each may have 64 POSTs in flight, and all services shared one
pool of 100 connections, which the two hung ones filled. A slow or dead service never
delays the others now (REL-2): each service's own ``concurrency`` is all that bounds its
POSTs."""

from __future__ import annotations

import asyncio
import time

from bot.config.automation import AutomationSettings
from bot.config.settings import DeliverySettings
from tests.conftest import BotFactory
from tests.emulators import meta_webhooks as meta

CUSTOMERS = 150
HUNG = 30.0
"""The delivery timeout: how long a hung service's POST holds its connection."""
PROMPT = 15.0
"""Seconds the healthy service may take for every message: about 2 to 5 s on a loaded
2-core machine, where a bound of 5 s was too close; half the delivery timeout."""


async def test_a_healthy_service_is_not_held_back_by_two_hung_ones(
    make_bot: BotFactory,
) -> None:
    bot = await make_bot(
        services=("support", "sales", "analytics"),
        automation=AutomationSettings(welcome="", fallback=""),
        delivery=DeliverySettings(retry_base=0.05, retry_cap=0.5, timeout=HUNG),
    )
    bot.sinks["support"].stall(2 * HUNG)
    bot.sinks["sales"].stall(2 * HUNG)
    started = time.monotonic()
    for first in range(0, CUSTOMERS, 10):
        posts = [
            bot.post_whatsapp(meta.text_message(bot.phone_number_id, f"4477009{n:05d}", "hi"))
            for n in range(first, first + 10)
        ]
        for answer in await asyncio.gather(*posts):
            assert answer.status == 200
    # Held back, it would hear nothing until the hung POSTs' timeout: well past PROMPT.
    await bot.sinks["analytics"].wait_for_count(CUSTOMERS, type="message.inbound", timeout=PROMPT)
    assert time.monotonic() - started < PROMPT
    bot.sinks["support"].heal()
    bot.sinks["sales"].heal()
