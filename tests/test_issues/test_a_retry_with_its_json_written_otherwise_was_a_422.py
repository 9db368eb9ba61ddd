"""A service that retried a POST with the same ``Idempotency-Key`` got 422 "used for
another request" when its client wrote the same JSON otherwise: other spacing, or the
keys in another order (a retry from another process, or a library that re-serializes).
Stripe compares the request's parameters, not its bytes; so do we now. Another value is
still another request."""

from __future__ import annotations

from tests.conftest import BotFactory
from tests.test_api import WELCOME, call, shared_number


async def test_the_same_json_written_otherwise_is_the_same_request(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    path, token = shared.path("messages"), shared.tokens["sales"]
    sent = []
    for raw in (
        b'{"text": "once", "agent": "bob"}',
        b'{"agent":"bob","text":"once"}',
        b'{\n  "text" : "once",\n  "agent" : "bob"\n}\n',
        b'{"text": "\\u006fnce", "agent": "bob"}',
    ):
        headers = {"Idempotency-Key": "k-1", "Content-Type": "application/json"}
        sent.append(await call(shared.bot, token, "POST", path, data=raw, headers=headers))
    assert [answer.status for answer in sent] == [201] * 4, [a.raw for a in sent]
    assert len({answer.json["message"]["id"] for answer in sent}) == 1
    other = b'{"text": "once", "agent": "ann"}'
    refused = await call(
        shared.bot,
        token,
        "POST",
        path,
        data=other,
        headers={"Idempotency-Key": "k-1", "Content-Type": "application/json"},
    )
    assert refused.status == 422
    await shared.bot.settle()
    assert shared.texts_sent() == [WELCOME, "once"]
