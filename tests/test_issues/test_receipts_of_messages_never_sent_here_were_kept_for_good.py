"""Meta posts a receipt for every message sent from the number, by this bot or by
another tool on it; those of messages never sent here were kept for good, in the
conversation's status hash (2,000 receipts, 2,000 keys that never expire), most for a
conversation that does not even exist. They are kept a day, for a send whose record is
still to come, and no longer."""

from __future__ import annotations

from redis.asyncio import Redis

from tests.conftest import PHONE_NUMBER_ID, BotFactory
from tests.emulators import meta_webhooks as meta


async def test_a_receipt_of_a_message_never_sent_here_expires(
    make_bot: BotFactory, prefix: str, real_redis: Redis
) -> None:
    bot = await make_bot()
    for n in range(5):
        receipt = meta.status_update(
            PHONE_NUMBER_ID, f"wamid.OTHERTOOL{n:04d}", f"44791100030{n}", "delivered"
        )
        assert (await bot.post_whatsapp(receipt)).status == 200
    await bot.settle()
    kept = [key async for key in real_redis.scan_iter(f"{prefix}{{c:*")]
    assert kept, "the receipts are kept for a while, for a send still to be recorded"
    for key in kept:
        assert 0 < await real_redis.pttl(key) <= 86_400_000, key
    # Another receipt a while on does not keep the first ones a day more.
    early = f"{prefix}{{c:{bot.conversation('447911000300')}}}:early"
    assert early in kept
    await real_redis.pexpire(early, 60_000)
    receipt = meta.status_update(PHONE_NUMBER_ID, "wamid.OTHERTOOL0099", "447911000300", "read")
    assert (await bot.post_whatsapp(receipt)).status == 200
    await bot.settle()
    assert 0 < await real_redis.pttl(early) <= 60_000
