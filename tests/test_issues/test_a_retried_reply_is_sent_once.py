"""A service that retried a reply after a timeout had it sent twice: each POST queued a
new send. Under the same ``Idempotency-Key`` the retry gets the first answer, and the
customer gets the reply once."""

from __future__ import annotations

from tests.conftest import BotFactory
from tests.test_api import WELCOME, call, shared_number


async def test_a_retried_reply_is_sent_once(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    body = {"text": "Your order ships today", "agent": "bob"}
    headers = {"Idempotency-Key": "reply-0f4c2a"}
    token, path = shared.tokens["sales"], shared.path("messages")
    first = await call(shared.bot, token, "POST", path, body, headers=headers)
    retry = await call(shared.bot, token, "POST", path, body, headers=headers)
    assert first.status == retry.status == 201
    assert retry.json == first.json  # the same send id: the same message
    await shared.bot.settle()
    assert shared.texts_sent() == [WELCOME, "Your order ships today"]
