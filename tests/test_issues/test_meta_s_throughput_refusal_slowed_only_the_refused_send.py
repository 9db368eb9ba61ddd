"""Meta's 130429 ("Cloud API message throughput has been reached": try again later, or
reduce the frequency) held back only the send it refused, for its own back-off; every
other send for the number went on at the configured rate, into the same refusal. A
campaign on a number whose throughput is below the configured rate lost its sends after
their five tries. Now a 130429 pauses the number's schedule for every process, and the
sends after it wait their turn behind the pause."""

from __future__ import annotations

from redis.asyncio import Redis

from stores.redis import Keys
from tests.conftest import PHONE_NUMBER_ID, BotFactory
from tests.emulators import meta_webhooks as meta
from tests.test_crash import wait_until


async def test_a_throughput_refusal_pauses_the_numbers_sends(
    make_bot: BotFactory, real_redis: Redis, prefix: str
) -> None:
    bot = await make_bot(whatsapp_rate=100)
    assert bot.graph is not None
    bot.graph.fail_next(1)  # 429, code 130429
    answer = await bot.post_whatsapp(meta.text_message(PHONE_NUMBER_ID, "447911123101", "hi"))
    assert answer.status == 200
    rate = Keys(prefix).rate(f"wa:{PHONE_NUMBER_ID}")

    async def paused() -> str:  # the next free slot lies half a second on, or more
        seconds, micros = await real_redis.time()  # type: ignore[misc]
        now_ms = seconds * 1000 + micros / 1000
        free = float(await real_redis.get(rate) or 0)  # type: ignore[misc]
        return "" if free > now_ms + 500 else "the number paused"

    await wait_until(paused, timeout=10)
    assert [r.status for r in bot.graph.requests if "/messages" in r.path][:1] == [429]
    (sent,) = await bot.graph.wait_for_sent(1, timeout=20)  # the refused send, retried
    assert sent.to == "447911123101"
