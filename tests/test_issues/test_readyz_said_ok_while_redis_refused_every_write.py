"""``/readyz`` said ok while Redis was out of memory (``maxmemory`` reached, no eviction):
it only sent a PING, which such a Redis answers, while every webhook got 503 and every
message was refused. A load balancer kept sending traffic and an alert on readiness never
fired. ``/readyz`` writes a short-lived key now, and says 503 with Redis's own reason."""

from __future__ import annotations

from redis.asyncio import Redis

from tests.conftest import BotFactory


async def test_readyz_is_503_while_redis_refuses_writes_and_200_again_after(
    private_redis: str,  # first, so that the bot stops before its store does
    make_bot: BotFactory,
) -> None:
    bot = await make_bot(whatsapp=False, redis_url=private_redis)
    admin = Redis.from_url(private_redis, decode_responses=True)
    try:
        assert (await bot.client.get("/readyz")).status == 200
        await admin.config_set("maxmemory", "1")  # every write refused: OOM
        refused = await bot.client.get("/readyz")
        assert refused.status == 503
        assert "refuses writes" in (await refused.json())["error"]
        assert "maxmemory" in (await refused.json())["error"]
        await admin.config_set("maxmemory", "0")
        assert (await bot.client.get("/readyz")).status == 200
        assert 0 < await admin.pttl(f"{bot.runtime.keys.ready}") <= 60_000
    finally:
        await admin.config_set("maxmemory", "0")
        await admin.aclose()
