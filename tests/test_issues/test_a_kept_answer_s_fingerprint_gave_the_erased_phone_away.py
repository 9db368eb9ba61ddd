"""An answer kept for an ``Idempotency-Key`` kept, after its person's erasure, the
fingerprint of the request that named them: a plain SHA-256 of the request line and its
JSON, ``sha256('POST /v1/sequences/welcome/enrolments\\n{"phone":"+447911139002"}')``.
Hashing the same request for every phone number of a country found the erased phone in
minutes. The erasure now drops the fingerprint with the answer; a retry under the key,
whatever its body, still answers 410 and does nothing again.
"""

from __future__ import annotations

import hashlib

from redis.asyncio import Redis

from tests.conftest import BotFactory
from tests.test_api import Answer, Shared, call, say, shared_number
from tests.test_notifications import NO_QUIET
from tests.test_sequences import drip

ANN = "447911139002"
PATH = "/v1/sequences/welcome/enrolments"


async def _enrol(shared: Shared, body: dict[str, str]) -> Answer:
    headers = {"Idempotency-Key": "enrol-1"}
    return await call(shared.bot, shared.tokens["support"], "POST", PATH, body, headers=headers)


async def test_an_erasure_leaves_no_fingerprint_of_a_request_naming_the_person(
    make_bot: BotFactory, real_redis: Redis, prefix: str
) -> None:
    steps = drip({"workflow": "signup"}, stop_on=["opt_out"])
    shared = await shared_number(make_bot, notifications=NO_QUIET, sequences=steps)
    await say(shared.bot, "hi, I signed up", ANN)
    first = await _enrol(shared, {"phone": f"+{ANN}"})
    assert first.status == 202, first.raw

    erased = await shared.call("support", "DELETE", f"/v1/profiles/wa:{ANN}")
    assert erased.status == 200, erased.raw
    await shared.bot.settle()
    request = f'POST {PATH}\n{{"phone":"+{ANN}"}}'.encode()
    guessed = hashlib.sha256(request).hexdigest()
    kept = []
    async for name in real_redis.scan_iter(match=f"{prefix}idem:*"):
        if await real_redis.type(name) == "hash":
            kept += (await real_redis.hgetall(name)).values()
    assert kept and guessed not in kept, kept

    for body in ({"phone": f"+{ANN}"}, {"phone": "+447911139003"}):
        again = await _enrol(shared, body)
        assert again.status == 410, (body, again.raw)
        assert again.raw.find(ANN[2:].encode()) == -1
