"""A retry with the same ``Idempotency-Key`` whose client wrote a number otherwise
(``600.0`` or ``6e2`` for ``600``: a JavaScript or Python client that re-serializes a
float) got 422 "used for another request", though the bot reads the same number from
each. A body's numbers are compared by what they hold; another number is still another
request."""

from __future__ import annotations

from tests.conftest import BotFactory
from tests.test_api import WA_ID, call, shared_number

PREFIX = b'{"profile": "wa:' + WA_ID.encode() + b'", "agent": "ann", "ttl": '


async def test_the_same_number_written_otherwise_is_the_same_request(
    make_bot: BotFactory,
) -> None:
    shared = await shared_number(make_bot)
    token = shared.tokens["sales"]
    headers = {"Idempotency-Key": "lt-1", "Content-Type": "application/json"}
    answers = []
    for ttl in (b"600", b"600.0", b"6e2", b"6.00E+2"):
        raw = PREFIX + ttl + b"}"
        answers.append(
            await call(shared.bot, token, "POST", "/v1/live-tokens", data=raw, headers=headers)
        )
    assert [answer.status for answer in answers] == [201] * 4, [a.raw for a in answers]
    # The replays are the first answer's, its token shown once only.
    assert len({answer.raw for answer in answers[1:]}) == 1
    other = PREFIX + b"600.5}"
    refused = await call(shared.bot, token, "POST", "/v1/live-tokens", data=other, headers=headers)
    assert refused.status == 422, refused.raw
