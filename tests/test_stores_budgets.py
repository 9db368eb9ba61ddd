"""A byte budget per fixed window (``stores.budgets``), on Redis and on the embedded store:
what fits is counted, what does not is refused with the seconds to the next window and
counted not at all, and each pool spends from its own."""

from __future__ import annotations

from redis.asyncio import Redis

from stores.activity import ActivityStore
from stores.media import MediaStore
from stores.redis import Keys

HOUR = 3600.0


async def test_a_budget_takes_what_fits_and_refuses_the_rest(store: Redis, prefix: str) -> None:
    activity = ActivityStore(store, Keys(prefix))
    assert await activity.spend(600, 1000, HOUR) == 0
    assert await activity.spend(400, 1000, HOUR) == 0  # to the byte
    wait = await activity.spend(1, 1000, HOUR)
    assert 0 < wait <= HOUR
    assert await activity.spend(1, 1000, HOUR) > 0  # the refusal counted nothing
    (key,) = [key async for key in store.scan_iter(match=f"{prefix}visitor:budget:*")]
    assert int(await store.get(key)) == 1000
    assert 0 < await store.pttl(key) <= HOUR * 1000  # gone with its window


async def test_each_pool_spends_from_its_own(store: Redis, prefix: str) -> None:
    keys = Keys(prefix)
    activity, media = ActivityStore(store, keys), MediaStore(store, keys)
    assert await activity.spend(1000, 1000, HOUR) == 0
    assert await media.spend("web:site", 1000, 1000, HOUR) == 0
    assert await media.spend("web:shop", 1000, 1000, HOUR) == 0
    assert await media.spend("web:site", 1, 1000, HOUR) > 0
    assert await activity.spend(1, 1000, HOUR) > 0
