"""An outside fuzz run posted a campaign with ``"topic": ""`` and ``"audience": {"topic":
"offers"}`` to ``POST /v1/notifications`` and got 202: the empty topic was read as no
topic, and the stored one silently became "offers". openapi.json's pattern for ``topic``
(``^[a-z0-9][a-z0-9_.-]{0,39}$``) has no empty string, and ``"BAD TOPIC!"`` is a 400.

What must hold: an empty ``topic`` is the same 400 as ``"BAD TOPIC!"``, and nothing is
stored."""

from __future__ import annotations

from tests.conftest import BotFactory
from tests.test_notifications import setup


async def test_an_empty_topic_is_refused_as_a_bad_one(make_bot: BotFactory) -> None:
    shared = await setup(make_bot)
    redis = shared.bot.runtime.redis
    campaigns = shared.bot.runtime.outreach.notifications.store.number_key(shared.number)
    body = {
        "number": shared.number,
        "text": "Hi",
        "audience": {"topic": "offers"},
        "draft": True,
    }
    bad = await shared.call("support", "POST", "/v1/notifications", body | {"topic": "BAD TOPIC!"})
    assert bad.status == 400, bad.raw

    answer = await shared.call("support", "POST", "/v1/notifications", body | {"topic": ""})
    assert answer.status == 400, answer.raw
    assert answer.error == bad.error
    assert await redis.zcard(campaigns) == 0
