"""A marketer following "Running a campaign" posted ``{"number", "topic": "offers",
"text", "draft": true}`` (the topic, but no ``audience``) and got 400 "'conversation_id'
must be a non-empty string": the body was read as a one-off message, and the error named
a field a campaign never has. The draft that was posted right answered a ``next_at``
although nothing is scheduled until it is sent (its report says null).

What must hold: a body with neither ``audience`` nor ``conversation_id`` is a 400 that
says to give one of them, and nothing is stored; a draft's answer has ``next_at`` null."""

from __future__ import annotations

from tests.conftest import BotFactory
from tests.test_notifications import report, setup


async def test_a_campaign_without_an_audience_says_what_is_missing(make_bot: BotFactory) -> None:
    shared = await setup(make_bot)
    redis = shared.bot.runtime.redis
    key = shared.bot.runtime.outreach.notifications.store.number_key(shared.number)
    body = {"number": shared.number, "topic": "offers", "text": "Hi", "draft": True}
    answer = await shared.call("support", "POST", "/v1/notifications", body)
    assert answer.status == 400, answer.raw
    assert "'audience'" in answer.error and "'conversation_id'" in answer.error
    assert "must be a non-empty string" not in answer.error
    assert await redis.zcard(key) == 0  # nothing stored

    right = {**body, "audience": {"topic": "offers"}}
    answer = await shared.call("support", "POST", "/v1/notifications", right)
    assert answer.status == 202, answer.raw
    created = answer.json["notification"]
    assert created["status"] == "draft" and created["next_at"] is None
    assert (await report(shared, created["id"]))["next_at"] is None
