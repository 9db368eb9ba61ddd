"""Redis going away for a few seconds right after two profiles were merged (a restart, a
network blip), as ``profile.merged`` was being queued: ``POST /v1/profiles/{ref}/merge``
answered 503 "retry later", and the retry found one profile, merged nothing and told
nothing: no service ever heard ``profile.merged`` (PS-2) and kept the merged id as a
person of its own. The event waits a short outage out now, as a claim's does."""

from __future__ import annotations

from bot.model import Identity
from tests.conftest import BotFactory
from tests.redis_cut import redis_cut
from tests.test_api import WA_ID, shared_number


async def test_a_merge_redis_dropped_under_is_told_to_the_services(
    make_bot: BotFactory, redis_url: str
) -> None:
    async with redis_cut(redis_url) as proxy:
        shared = await shared_number(make_bot, redis_url=proxy.url)
        try:
            newer = await shared.bot.runtime.profiles.resolve(
                [Identity("email", "ann@example.com")], channel="web"
            )
            proxy.arm("profile.merged", outage=2.0, swallow=True)  # the event, as it goes
            path = f"/v1/profiles/{newer}/merge"
            answer = await shared.call("marketing", "POST", path, {"other": f"wa:{WA_ID}"})
            assert proxy.cut.is_set()
            assert answer.status == 200, answer.raw
            assert answer.json["merged"] == newer
            sink = shared.bot.sinks["sales"]
            await sink.wait_for(lambda _: bool(sink.events("profile.merged")), timeout=20)
            (merged,) = [e["data"] for e in sink.events("profile.merged")]
            assert merged["merged"] == newer
        finally:
            await shared.bot.stop()
