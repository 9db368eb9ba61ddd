"""Each ``POST /t/events`` without a cookie is a new visitor, whose events are kept a year:
20 posts left 1.15 MB in Redis, and nothing bounded how many a client could make. What all
visitors together post in an hour is bounded now (``tracking.events_mb_per_hour``): past
it a post is refused with 429 and ``Retry-After``, and nothing of it is kept."""

from __future__ import annotations

import json

from tests.conftest import BotFactory

MB = 1024 * 1024


def body(n: int) -> bytes:
    """A batch of 50 page views of about 60 KiB in all."""
    event = {
        "type": "page_view",
        "url": f"https://shop.example.com/{n}",
        "title": "t" * 1000,
        "referrer": f"https://ads.example.com/{n}?" + "q" * 150,
    }
    return json.dumps([event] * 50).encode()


async def test_fresh_visitors_cannot_post_past_the_hourly_events(make_bot: BotFactory) -> None:
    bot = await make_bot(whatsapp=False, web_event_bytes_per_hour=MB)
    redis, prefix = bot.runtime.redis, bot.runtime.keys.prefix
    statuses, waits, visitors = [], [], []
    for n in range(20):
        bot.client.session.cookie_jar.clear()  # a new visitor each time
        data = body(n)
        assert 58 * 1024 < len(data) < 64 * 1024
        answer = await bot.client.post(
            "/t/events", data=data, headers={"Content-Type": "application/json"}
        )
        statuses.append(answer.status)
        waits.append(answer.headers.get("Retry-After"))
        found = await answer.json()
        if answer.status == 202:
            visitors.append(found["visitor_id"])
        else:
            assert "this hour" in found["error"]
    taken = MB // len(body(0))
    assert statuses == [202] * taken + [429] * (20 - taken)
    assert all(0 < int(wait or 0) <= 3600 for wait in waits[taken:])
    kept = {key async for key in redis.scan_iter(match=f"{prefix}{{v:*}}:events")}
    assert len(kept) == taken == len(visitors)
