"""Redis going away for a few seconds right after a parent service was detached (a
restart, a network blip), as ``number.parent_changed`` was being queued:
``DELETE /v1/services/{name}`` (and ``/detach``) answered 503 "retry later", and the
retry found it detached already (404) and told nothing: the next service became the
number's parent (SN-7) without ever hearing so. The event waits a short outage out now,
as a claim's does."""

from __future__ import annotations

from tests.conftest import BotFactory
from tests.redis_cut import redis_cut
from tests.test_api import shared_number


async def test_a_detach_redis_dropped_under_is_told_to_the_services(
    make_bot: BotFactory, redis_url: str
) -> None:
    async with redis_cut(redis_url) as proxy:
        shared = await shared_number(make_bot, redis_url=proxy.url)
        try:
            proxy.arm("number.parent_changed", outage=2.0, swallow=True)  # as it goes
            path = f"/v1/services/support?number={shared.number}"
            left = await shared.call("support", "DELETE", path)
            assert proxy.cut.is_set()
            assert left.status == 200, left.raw
            sink = shared.bot.sinks["sales"]
            await sink.wait_for(lambda _: bool(sink.events("number.parent_changed")), timeout=20)
            (changed,) = [e["data"] for e in sink.events("number.parent_changed")]
            assert (changed["previous_parent"], changed["parent"]) == ("support", "sales")
        finally:
            await shared.bot.stop()
