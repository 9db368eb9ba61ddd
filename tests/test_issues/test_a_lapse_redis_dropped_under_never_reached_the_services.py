"""Redis going away for a few seconds just as an idle claim's lapse was taken off the lapse
list (a restart, a network blip) lost its ``conversation.released``: the process had
taken it off the list, failed to read the conversation or to queue the event, and looked
again at a list without it. Every service showed the agent as the holder for good
(SN-5). The lapse's announcement waits a short outage out now, as a release's does."""

from __future__ import annotations

from tests.conftest import BotFactory
from tests.redis_cut import redis_cut
from tests.test_api import shared_number


async def test_a_lapse_redis_dropped_under_is_told_to_the_services(
    make_bot: BotFactory, redis_url: str
) -> None:
    async with redis_cut(redis_url) as proxy:
        shared = await shared_number(make_bot, redis_url=proxy.url, claim_idle=1.0)
        try:
            body = {"agent": "al"}
            claimed = await shared.call("support", "POST", shared.path("claim"), body)
            assert claimed.status == 200, claimed.raw
            # The next command on the claim is the lapse's look at it, once it is off the list.
            proxy.arm(shared.bot.runtime.keys.conversation(shared.conversation, "claim"), 2.0)
            sink = shared.bot.sinks["marketing"]
            await sink.wait_for(lambda _: bool(sink.events("conversation.released")), timeout=20)
            assert proxy.cut.is_set()
            (released,) = [e["data"] for e in sink.events("conversation.released")]
            assert released == {"conversation_id": shared.conversation, "reason": "lapsed"}
        finally:
            await shared.bot.stop()
