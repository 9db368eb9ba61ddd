"""Redis going away for a few seconds right after a claim's release was written left
nobody holding the conversation, but no service got ``conversation.released`` (SN-5):
they still showed the agent as its holder, the API answered 503, and releasing again
said nobody held it. The release's event waits a short outage out, as a claim's does."""

from __future__ import annotations

from tests.conftest import BotFactory
from tests.redis_cut import redis_cut
from tests.test_api import shared_number


async def test_the_apis_release_redis_dropped_under_is_told_to_the_services(
    make_bot: BotFactory, redis_url: str
) -> None:
    async with redis_cut(redis_url) as proxy:
        shared = await shared_number(make_bot, redis_url=proxy.url)
        try:
            claim, release = shared.path("claim"), shared.path("release")
            assert (await shared.call("support", "POST", claim, {"agent": "al"})).status == 200
            key = shared.bot.runtime.keys.conversation(shared.conversation, "claim")
            proxy.arm(key, outage=2.0)
            answer = await shared.call("support", "POST", release, {"agent": "al"})
            assert proxy.cut.is_set()
            assert answer.status == 200, answer.raw
            sink = shared.bot.sinks["marketing"]
            await sink.wait_for(lambda _: bool(sink.events("conversation.released")), timeout=20)
            (released,) = [e["data"] for e in sink.events("conversation.released")]
            assert (released["agent"], released["reason"]) == ("al", "released")
        finally:
            await shared.bot.stop()
