"""A customer enrolled in a drip by phone, then erased, stayed enrolled: Redis kept their
phone in plain text in the sequence's enrolments and schedule, and when they wrote again
(a new lead) the old enrolment went on and sent them its remaining steps. And the API
enrolled the erased phone again (202, the phone stored), where the erased profile id
answers 410. The erasure takes them off every sequence, and their phone answers 410."""

from __future__ import annotations

import time

from redis.asyncio import Redis

from tests.conftest import BotFactory
from tests.test_api import say, shared_number
from tests.test_issues.test_erasure_left_the_person_in_their_campaigns import dump
from tests.test_notifications import NO_QUIET, Person, seed, until
from tests.test_sequences import DAY, OTHER, drip, later, sent_to, sequence_report

NEW = "447911139001"


async def test_an_erased_customer_is_taken_off_their_drips(
    make_bot: BotFactory, real_redis: Redis, prefix: str
) -> None:
    # A reply does not stop this drip: only an opt-out or a purchase does.
    steps = drip({"workflow": "signup"}, stop_on=["opt_out", "workflow:order_placed"])
    shared = await shared_number(make_bot, notifications=NO_QUIET, sequences=steps)
    await seed(
        shared.bot.runtime, shared.number, [Person(OTHER, wrote_at=time.time() - 60, name="Bo")]
    )
    for wa_id in (NEW, OTHER):  # NEW has no profile yet: enrolled by their phone
        body = {"phone": f"+{wa_id}"}
        enrolled = await shared.call("support", "POST", "/v1/sequences/welcome/enrolments", body)
        assert enrolled.status == 202, enrolled.raw
    await until(lambda: sent_to(shared, OTHER, text="Welcome aboard"), what="day 0, other")
    await say(shared.bot, "hi, I signed up", NEW)
    erased = await shared.call("support", "DELETE", f"/v1/profiles/wa:{NEW}")
    assert erased.status == 200, erased.raw
    kept = [line for line in await dump(real_redis, f"{prefix}*seq*") if NEW[2:] in line]
    assert not kept, kept

    # Until they write again, their phone is not enrolled again, as their profile id is not.
    profile = erased.json["erased"]["profile"]
    for body in ({"phone": f"+{NEW}"}, {"profile": profile}):
        again = await shared.call("support", "POST", "/v1/sequences/welcome/enrolments", body)
        assert again.status == 410, (body, again.raw)

    # They come back: a new lead, on no drip. WhatsApp dates in whole seconds.
    await say(shared.bot, "hello again", NEW, timestamp=int(time.time()) + 2)
    later(shared, 3 * DAY + 60)
    await until(lambda: sent_to(shared, OTHER, "drip_follow_up"), what="the other's follow-up")
    await shared.bot.settle()
    assert not sent_to(shared, NEW, "drip_follow_up")
    found = await shared.call("support", "GET", f"/v1/sequences/welcome/enrolments/wa:{NEW}")
    assert found.status == 404, found.raw
    enrolments = (await sequence_report(shared))["enrolments"]
    assert (enrolments["enrolled"], enrolments["active"]) == (1, 1), enrolments
