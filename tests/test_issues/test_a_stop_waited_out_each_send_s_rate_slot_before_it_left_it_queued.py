"""A graceful stop (SIGTERM) waited, for each send that was waiting for its slot of the
number's rate, until that slot came, only to leave the send queued then: with a low
throughput tier and a campaign under way, the drain took as long as the queue at that
rate (14 s for 20 sends at 1 a second), long enough for an orchestrator's kill to cut
the sends under way. A send still waiting for its slot at the stop now stays in the
outbox at once, for the next process, and the stop ends."""

from __future__ import annotations

import asyncio

from redis.asyncio import Redis

from stores.redis import Keys
from tests.conftest import PHONE_NUMBER_ID, BotFactory
from tests.emulators import meta_webhooks as meta
from tests.test_crash import wait_until

SLOT_MS = 50_000
"""The number's rate: one send every 50 s."""
CUSTOMERS = ("447911123101", "447911123102")


async def test_a_send_waiting_for_its_slot_is_left_queued_at_the_stop(
    make_bot: BotFactory, real_redis: Redis, prefix: str
) -> None:
    bot = await make_bot(whatsapp_rate=1000 / SLOT_MS)
    assert bot.graph is not None
    for wa_id in CUSTOMERS:
        answer = await bot.post_whatsapp(meta.text_message(PHONE_NUMBER_ID, wa_id, "hi"))
        assert answer.status == 200
    await bot.graph.wait_for_sent(1, timeout=20)
    rate = Keys(prefix).rate(f"wa:{PHONE_NUMBER_ID}")

    async def second_waits() -> str:  # its slot is taken: the next free is two slots on
        seconds, micros = await real_redis.time()  # type: ignore[misc]
        now_ms = seconds * 1000 + micros / 1000
        free = float(await real_redis.get(rate) or 0)  # type: ignore[misc]
        return "" if free > now_ms + 1.5 * SLOT_MS else "the second welcome waiting"

    await wait_until(second_waits, timeout=20)
    await asyncio.wait_for(bot.stop(), 20)  # not the 50 s the second's slot is away
    # Either welcome may take the first slot: the two conversations are worked at once.
    (sent,) = [m.to for m in bot.graph.sent]
    assert sent in CUSTOMERS
    assert await bot.runtime.outbox.backlog() == 1  # left for the next process
