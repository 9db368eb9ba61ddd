"""``admin dead-letters SERVICE`` said one attempt fewer than were made (8 where the
service got 9 POSTs, and the log said "after 9 attempts"): a dead letter was kept with
the attempts before its last one."""

from __future__ import annotations

from bot.config.settings import DeliverySettings
from tests.conftest import BotFactory
from tests.emulators import meta_webhooks as meta
from tests.test_crash import wait_until


async def test_a_dead_letter_counts_every_attempt_made(make_bot: BotFactory) -> None:
    delivery = DeliverySettings(retry_base=0.05, retry_cap=0.1, retry_horizon=0.4, timeout=1)
    bot = await make_bot(delivery=delivery)
    sink = bot.sinks["support"]
    sink.fail(500)
    await bot.post_whatsapp(meta.text_message(bot.phone_number_id, "447700900123", "hi"))
    deliveries = bot.runtime.deliveries

    async def both_dead() -> str:
        dead = len(await deliveries.dead_letters("support"))
        return "" if dead == 2 else f"{dead} dead letters of 2"

    await wait_until(both_dead, timeout=15)
    dead = await deliveries.dead_letters("support")
    assert all(d.attempts >= 2 for d in dead), dead
    assert sum(d.attempts for d in dead) == sink.failed_attempts
