"""An enrolment in a drip by phone (``POST /v1/sequences/{name}/enrolments``
``{"phone": ...}``, or ``"profile"`` as one of the person's identities) sent with an
``Idempotency-Key`` and retried after the customer's erasure answered 202 again, saying
the erased phone was enrolled and active, and Redis kept that answer, the phone in plain
text, for a day: the erasure found kept answers only by the profile and conversation ids
they named, and these name the person by phone. Such a retry answers 410 now, and the
phone is no longer kept."""

from __future__ import annotations

from redis.asyncio import Redis

from tests.conftest import BotFactory
from tests.test_api import Answer, Shared, call, say, shared_number
from tests.test_issues.test_erasure_left_the_person_in_their_campaigns import dump
from tests.test_notifications import NO_QUIET
from tests.test_sequences import drip

NEW = "447911139001"
PATH = "/v1/sequences/welcome/enrolments"


async def _enrol(shared: Shared, body: dict[str, str], key: str) -> Answer:
    headers = {"Idempotency-Key": key}
    return await call(shared.bot, shared.tokens["support"], "POST", PATH, body, headers=headers)


async def test_a_keyed_enrolment_by_phone_answers_410_after_the_erasure(
    make_bot: BotFactory, real_redis: Redis, prefix: str
) -> None:
    steps = drip({"workflow": "signup"}, stop_on=["opt_out"])
    shared = await shared_number(make_bot, notifications=NO_QUIET, sequences=steps)
    requests = [({"phone": f"+{NEW}"}, "k-phone"), ({"profile": f"wa:{NEW}"}, "k-identity")]
    first = await _enrol(shared, *requests[0])  # no profile yet: enrolled by the phone
    assert first.status == 202, first.raw
    await say(shared.bot, "hi, I signed up", NEW)
    await shared.bot.settle()
    second = await _enrol(shared, *requests[1])
    assert second.status == 202, second.raw

    erased = await shared.call("support", "DELETE", f"/v1/profiles/wa:{NEW}")
    assert erased.status == 200, erased.raw
    await shared.bot.settle()
    kept = [line for line in await dump(real_redis, f"{prefix}*") if NEW[2:] in line]
    assert not kept, kept
    for body, key in requests:
        again = await _enrol(shared, body, key)
        assert again.status == 410, (body, again.raw)
        assert NEW[2:].encode() not in again.raw
