"""``Idempotency-Key`` on the POSTs of /v1: a retry is answered, not redone; the same key
for another body is a 422; a malformed request leaves the key free; keys are per service."""

from __future__ import annotations

import asyncio

from tests.conftest import BotFactory
from tests.test_api import WELCOME, Answer, Shared, call, shared_number


async def _post(shared: Shared, caller: str, path: str, body: object, key: str) -> Answer:
    headers = {"Idempotency-Key": key}
    return await call(shared.bot, shared.tokens[caller], "POST", path, body, headers=headers)


async def test_a_replayed_answer_says_so(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    path = shared.path("claim")
    first = await _post(shared, "sales", path, {"agent": "bob"}, "claim-1")
    async with shared.bot.client.post(
        path,
        json={"agent": "bob"},
        headers={"Authorization": f"Bearer {shared.tokens['sales']}", "Idempotency-Key": "claim-1"},
    ) as again:
        assert again.status == first.status == 200
        assert again.headers["Idempotent-Replayed"] == "true"
        assert again.headers["Content-Type"].startswith("application/json")
        assert await again.json() == first.json


async def test_the_same_key_with_another_body_is_a_422(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    path = shared.path("messages")
    assert (await _post(shared, "sales", path, {"text": "one"}, "k-1")).status == 201
    other = await _post(shared, "sales", path, {"text": "two"}, "k-1")
    assert other.status == 422 and "Idempotency-Key" in other.error
    elsewhere = await _post(shared, "sales", shared.path("notes"), {"text": "one"}, "k-1")
    assert elsewhere.status == 422  # another route is another request
    await shared.bot.settle()
    assert shared.texts_sent() == [WELCOME, "one"]


async def test_concurrent_duplicates_send_once(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    body, path = {"text": "at once"}, shared.path("messages")
    answers = await asyncio.gather(*(_post(shared, "sales", path, body, "dup") for _ in range(5)))
    statuses = sorted(answer.status for answer in answers)
    assert statuses[0] == 201 and set(statuses) <= {201, 409}, statuses
    sends = {answer.json["message"]["id"] for answer in answers if answer.status == 201}
    assert len(sends) == 1
    for answer in answers:
        if answer.status == 409:
            assert "still being processed" in answer.error
    await shared.bot.settle()
    assert shared.texts_sent() == [WELCOME, "at once"]


async def test_a_malformed_request_leaves_its_key_free(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    path = shared.path("messages")
    refused = await _post(shared, "sales", path, {"text": ""}, "fix-me")
    assert refused.status == 400
    assert (await _post(shared, "sales", path, {"text": "fixed"}, "fix-me")).status == 201
    await shared.bot.settle()
    assert shared.texts_sent() == [WELCOME, "fixed"]


async def test_keys_are_per_service(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    path = shared.path("messages")
    sales = await _post(shared, "sales", path, {"text": "from sales"}, "same")
    support = await _post(shared, "support", path, {"text": "from support"}, "same")
    assert sales.status == support.status == 201
    await shared.bot.settle()
    assert shared.texts_sent() == [WELCOME, "from sales", "from support"]


async def test_a_bad_key_is_refused_and_nothing_is_done(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    for key in ("", "x" * 256, "caf\u00e9", "tab\there"):
        answer = await _post(shared, "sales", shared.path("messages"), {"text": "no"}, key)
        assert answer.status == 400, (key, answer.raw)
        assert "Idempotency-Key must be" in answer.error
    await shared.bot.settle()
    assert shared.texts_sent() == [WELCOME]


async def test_without_a_key_every_post_is_done(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    assert (await shared.reply("sales", "twice")).status == 201
    assert (await shared.reply("sales", "twice")).status == 201
    await shared.bot.settle()
    assert shared.texts_sent() == [WELCOME, "twice", "twice"]
