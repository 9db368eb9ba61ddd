"""A service catching up with ``GET /v1/events?after=`` missed an event: it read up to one
number's event of a millisecond, and an event of that same millisecond queued a moment
later on another log (the profiles' one, ``""``) sorted before it, since within one
millisecond the logs' one order goes by number; the next read, after the first, never
gave it.

The feed now gives only the events of a millisecond that is over by the store's clock:
whatever is queued later has an id of a later millisecond. Entries are written with ids
of a millisecond to come, so the service's read always falls inside it."""

from __future__ import annotations

from typing import Any

from redis.asyncio import Redis

from stores.redis import Keys
from tests.conftest import BotFactory
from tests.test_api import Shared, call, shared_number
from tests.test_notifications import until
from tests.test_stores_events import now_ms, put


async def feed(shared: Shared, after: str | None) -> tuple[list[str], Any]:
    token = shared.tokens["sales"]
    path = "/v1/events?limit=500" + (f"&after={after}" if after else "")
    answer = await call(shared.bot, token, "GET", path)
    assert answer.status == 200, answer.raw
    return [event["id"] for event in answer.json["events"]], answer.json["next"]


async def test_an_event_queued_later_in_the_millisecond_read_is_not_missed(
    make_bot: BotFactory, real_redis: Redis, prefix: str
) -> None:
    shared = await shared_number(make_bot)
    await shared.bot.settle()
    _, cursor = await feed(shared, None)  # caught up with the conversation so far
    keys = Keys(prefix)
    ms = await now_ms(real_redis) + 500  # a millisecond to come: the reads fall inside it
    await put(real_redis, keys, shared.number, f"{ms}-0", "evt_first")
    got, cursor = await feed(shared, cursor)
    await put(real_redis, keys, "", f"{ms}-0", "evt_later")  # queued a moment later
    await until(lambda: _past(real_redis, ms), 5, "the millisecond to be over")
    more, _ = await feed(shared, cursor)
    assert got + more == ["evt_later", "evt_first"]


async def _past(store: Redis, ms: int) -> bool:
    return await now_ms(store) > ms
