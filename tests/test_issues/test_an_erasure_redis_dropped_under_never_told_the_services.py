"""Redis going away for a few seconds (a restart, a network blip) in the middle of an
erasure, once the profile was marked erased: ``DELETE /v1/profiles/{ref}`` answered 503
"retry later", and the retry 410 "was erased", so no service ever heard
``profile.erased`` (PS-7), and the answers kept for their retries and the events still
queued to them kept the person. What follows the mark waits a short outage out now, as
a claim's event does, and the erasure is answered and told."""

from __future__ import annotations

from tests.conftest import BotFactory
from tests.redis_cut import redis_cut
from tests.test_api import WA_ID, shared_number


async def test_an_erasure_redis_dropped_under_is_told_to_the_services(
    make_bot: BotFactory, redis_url: str
) -> None:
    async with redis_cut(redis_url) as proxy:
        shared = await shared_number(make_bot, redis_url=proxy.url)
        try:
            found = await shared.call("support", "GET", f"/v1/profiles/wa:{WA_ID}")
            profile = found.json["profile"]["id"]
            # Cut right after the step that follows the mark: the answers kept for retries.
            proxy.arm(shared.bot.runtime.keys.idempotency_of(profile), outage=2.0)
            answer = await shared.call("support", "DELETE", f"/v1/profiles/{profile}")
            assert proxy.cut.is_set()
            assert answer.status == 200, answer.raw
            assert answer.json["erased"]["profile"] == profile
            sink = shared.bot.sinks["marketing"]
            await sink.wait_for(lambda _: bool(sink.events("profile.erased")), timeout=20)
            (erased,) = [e["data"] for e in sink.events("profile.erased")]
            assert erased["profile"] == profile
        finally:
            await shared.bot.stop()
