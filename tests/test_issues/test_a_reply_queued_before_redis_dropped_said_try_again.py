"""``/reply`` in the team chat (and ``admin reply``) answered "The store is out of reach
just now; try again in a moment." when Redis went away right after the reply was queued:
the claim and the customer's name were read after it. The customer got the message all
the same, and a member who did as told sent it twice. The answer now says it was sent."""

from __future__ import annotations

from handlers.commands import Caller
from tests.conftest import BotFactory
from tests.emulators import meta_webhooks as meta
from tests.redis_cut import redis_cut
from tests.test_sending import WA_ID

AGENT = Caller("bob@example.com", "agent")
TEXT = "your parcel ships today"


async def test_a_reply_queued_before_redis_dropped_is_said_sent(
    make_bot: BotFactory, redis_url: str
) -> None:
    async with redis_cut(redis_url) as proxy:
        bot = await make_bot(redis_url=proxy.url)
        try:
            await bot.post_whatsapp(meta.text_message(bot.phone_number_id, WA_ID, "where?"))
            await bot.settle()
            assert bot.graph is not None
            welcomed = len(await bot.graph.wait_for_sent(1))
            cid = bot.conversation(WA_ID)
            # Bob holds it: his reply keeps his claim alive, after the send is queued.
            assert (await bot.runtime.commands.run(AGENT, f"/claim {cid}")).startswith("You hold")
            proxy.arm(TEXT, outage=2.0)  # Redis goes once the reply is queued
            answer = await bot.runtime.commands.run(AGENT, f"/reply {cid} {TEXT}")
            assert proxy.cut.is_set()
            assert "try again" not in answer
            assert answer.startswith("Sent to ") and f"({cid}): snd_" in answer
            await bot.graph.wait_for_sent(welcomed + 1, timeout=15)
            await proxy.restored()
            await bot.settle(timeout=15)
            assert [m.text for m in bot.graph.sent].count(TEXT) == 1
        finally:
            await bot.stop()
