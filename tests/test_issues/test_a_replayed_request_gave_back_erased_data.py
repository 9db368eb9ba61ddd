"""A request a service sent with an ``Idempotency-Key`` kept its whole answer for a day,
and an erasure left it there: sending the same request again after the person was erased
answered 200 or 201 with their name, identities, fields and the reply's text. The answers
kept that name the erased profiles or their conversations are replaced at the erasure
now: a retry answers 410, says it was replayed, and does nothing again."""

from __future__ import annotations

import time
from typing import Any

from redis.asyncio import Redis

from tests.conftest import BotFactory
from tests.test_api import WA_ID, WELCOME, Answer, Shared, call, shared_number
from tests.test_notifications import Person, seed

OTHER = "447911123999"
SECRET = "IDEM-SECRET reply"


async def _post(shared: Shared, path: str, body: dict[str, Any], key: str) -> Answer:
    headers = {"Idempotency-Key": key}
    return await call(shared.bot, shared.tokens["support"], "POST", path, body, headers=headers)


async def test_a_keyed_request_replayed_after_an_erasure_gives_nothing_of_the_person_back(
    make_bot: BotFactory, real_redis: Redis, prefix: str
) -> None:
    shared = await shared_number(make_bot)
    await seed(shared.bot.runtime, shared.number, [Person(OTHER, wrote_at=time.time() - 60)])
    requests = [
        (shared.path("messages"), {"text": SECRET}, "k-reply", 201),
        (f"/v1/profiles/wa:{WA_ID}/topics", {"unsubscribe": ["offers"]}, "k-topics", 200),
        (f"/v1/profiles/wa:{WA_ID}/merge", {"other": f"wa:{OTHER}"}, "k-merge", 200),
    ]
    for path, body, key, status in requests:
        first = await _post(shared, path, body, key)
        assert first.status == status, first.raw
    assert WA_ID.encode() in first.raw  # the merge's answer names the person
    erased = await shared.call("support", "DELETE", f"/v1/profiles/wa:{WA_ID}")
    assert erased.status == 200, erased.raw
    await shared.bot.settle()

    for path, body, key, _ in requests:
        again = await _post(shared, path, body, key)
        assert again.status == 410, (path, again.raw)
        assert "erased" in again.error
        for secret in (WA_ID, OTHER, SECRET, "offers"):
            assert secret.encode() not in again.raw, (path, again.raw)
    kept = [
        str(await real_redis.hgetall(key))
        async for key in real_redis.scan_iter(match=f"{prefix}idem:*")
        if await real_redis.type(key) == "hash"
    ]
    assert len(kept) == len(requests)
    assert [answer for answer in kept if WA_ID in answer or SECRET in answer] == []
    await shared.bot.settle()
    assert shared.texts_sent() == [WELCOME, SECRET]  # the retry sent nothing again
