"""A service's reply retried under the same ``Idempotency-Key`` was sent to the customer
twice when its first request had queued the send but kept no answer: the process was
killed (its in-flight mark lapsed after two minutes), or the store went away after the
send was queued (a 503 that told the service to retry). The message a keyed request sends
takes its id from the key and the body, so a retry that runs again sends nothing twice."""

from __future__ import annotations

import hashlib
import uuid

from tests.conftest import BotFactory
from tests.test_api import call, shared_number
from tests.test_notifications import finished, setup, until


async def test_a_keyed_reply_that_runs_again_is_sent_once(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    bot, graph = shared.bot, shared.graph
    key = str(uuid.uuid4())
    body = {"text": "Your refund is on its way", "agent": "ann"}
    headers = {"Idempotency-Key": key}
    token = shared.tokens["sales"]
    first = await call(bot, token, "POST", shared.path("messages"), body, headers=headers)
    assert first.status == 201, first.json
    # The first request queued its send and kept no answer (killed before it could): its
    # key is free again once its in-flight mark lapses.
    kept = bot.runtime.keys.idempotency("sales", hashlib.sha256(key.encode()).hexdigest())
    assert await bot.runtime.redis.delete(kept) == 1
    again = await call(bot, token, "POST", shared.path("messages"), body, headers=headers)
    assert again.status == 201, again.json
    assert again.json["message"]["id"] == first.json["message"]["id"]
    await until(lambda: [m for m in graph.sent if m.text == body["text"]], what="the reply")
    await bot.settle()
    assert [m.text for m in graph.sent].count(body["text"]) == 1
    timeline = await bot.runtime.conversations.timeline(shared.conversation)
    assert [m.get("text") for m in timeline].count(body["text"]) == 1
    # Another body under a key freed after a refusal is another message.
    other = {"text": "Sorry, one more thing", "agent": "ann"}
    await bot.runtime.redis.delete(kept)
    third = await call(bot, token, "POST", shared.path("messages"), other, headers=headers)
    assert third.status == 201 and third.json["message"]["id"] != first.json["message"]["id"]


async def test_a_keyed_campaign_that_runs_again_is_made_once(make_bot: BotFactory) -> None:
    shared = await setup(make_bot)  # no quiet hours
    bot = shared.bot
    key = str(uuid.uuid4())
    headers = {"Idempotency-Key": key}
    token = shared.tokens["support"]
    body = {
        "number": shared.number,
        "text": "Sale starts now",
        "audience": {"conversations": [shared.conversation]},
    }
    first = await call(bot, token, "POST", "/v1/notifications", body, headers=headers)
    assert first.status == 202, first.json
    kept = bot.runtime.keys.idempotency("support", hashlib.sha256(key.encode()).hexdigest())
    assert await bot.runtime.redis.delete(kept) == 1  # its answer lost
    again = await call(bot, token, "POST", "/v1/notifications", body, headers=headers)
    assert again.status == 202, again.json
    assert again.json["notification"]["id"] == first.json["notification"]["id"]
    await finished(shared, first.json["notification"]["id"])
    assert shared.texts_sent().count("Sale starts now") == 1
