"""Each process reads the inbound and outbox shards and the services' delivery queues as a
consumer of its own name, and a consumer group keeps a name until it is deleted: every
start of the bot (a deploy, a crash, a rescheduled container) left up to 16 + one per
service names behind, for good (54 after 30 kill -9 restarts of one process). The next
holder of a shard forgets the names that hold nothing, and a delivery queue forgets
those idle past the reclaim time."""

from __future__ import annotations

from redis.asyncio import Redis

from tests.conftest import BotFactory
from tests.emulators import meta_webhooks as meta
from tests.test_crash import wait_until

CUSTOMER = "447700900123"
GENERATIONS = 3


async def consumer_names(redis: Redis, key: str) -> set[str]:
    return {str(consumer["name"]) for consumer in await redis.xinfo_consumers(key, "workers")}


async def test_restarts_leave_no_consumer_names_behind(
    make_bot: BotFactory, real_redis: Redis
) -> None:
    bots = []
    for generation in range(GENERATIONS):
        bot = await make_bot()
        payload = meta.text_message(bot.phone_number_id, CUSTOMER, f"hello {generation}")
        assert (await bot.post_whatsapp(payload)).status == 200
        await bot.sinks["support"].wait_for_count(1)
        await bot.settle()
        bots.append(bot)
        if generation < GENERATIONS - 1:
            await bot.stop()
    last = bots[-1].runtime
    keys = last.keys
    shard_keys = [keys.inbound(n) for n in range(last.settings.shards)]
    queue_key = keys.fanout("support")

    async def left_behind() -> str:
        found = set()
        for key in [*shard_keys, queue_key]:
            found |= await consumer_names(real_redis, key)
        return ", ".join(sorted(found - {last.holder}))

    # Every earlier generation read the shards and the queue under a name of its own.
    await wait_until(left_behind, timeout=30)
    assert last.holder in await consumer_names(real_redis, queue_key)
