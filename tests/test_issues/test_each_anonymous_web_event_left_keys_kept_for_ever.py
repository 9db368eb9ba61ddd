"""Each web event posted without a cookie left a visitor's keys in Redis for ever.

As the store saw it: ``POST /t/events`` needs no token, and one without the visitor
cookie makes a new visitor; each such post left two keys with no expiry (500 posts from
one client, 1,000 keys for good). A browser's web activity, and its clicks, are kept a
year after its last.
"""

from __future__ import annotations

import pytest
from redis.asyncio import Redis

from stores.activity import KEPT, ActivityStore
from stores.redis import Keys


@pytest.mark.parametrize("store", ["redis", "embedded"], indirect=True)
async def test_a_browsers_activity_is_kept_a_year_after_its_last(store: Redis, prefix: str) -> None:
    activity = ActivityStore(store, Keys(prefix))
    await activity.record("v1", {"type": "page_view", "url": "https://shop.example.com/"})
    await activity.record_click("v1", "p_1", "snd_1", "https://shop.example.com/offer")
    for part in ("events", "seen", "clicks"):
        ttl = await store.ttl(activity.visitor_key("v1", part))
        assert KEPT - 60 < ttl <= KEPT, (part, ttl)
    assert KEPT == 365 * 24 * 3600
