"""A campaign (or a workflow event) that named a customer by phone and skipped them, as
opted out or without consent, kept that phone in its audience once the customer was
erased, for as long as the campaign was kept: an erasure rewrote the audiences of the
campaigns queued to the person, and of those still to run, and a skip is neither. So did
a campaign stopped while the person waited out their quiet hours, in its record of them.
The campaigns that named the person and did not queue them are found now, and keep the
profile's id in the phone's place."""

from __future__ import annotations

import time

from redis.asyncio import Redis

from bot.config.notifications import NotificationSettings
from tests.conftest import BotFactory
from tests.test_issues.test_erasure_left_the_person_in_their_campaigns import dump
from tests.test_notifications import Person, campaign, finished, quiet_now, seed, setup
from tests.test_workflows import RULES

PHONE = "447911800702"


async def test_the_campaigns_that_skipped_an_erased_person_keep_no_phone(
    make_bot: BotFactory, real_redis: Redis, prefix: str
) -> None:
    shared = await setup(make_bot, workflows=RULES)
    runtime = shared.bot.runtime
    stopped = Person(PHONE, {}, wrote_at=time.time() - 60, opted_out=True)
    (profile,) = await seed(runtime, shared.number, [stopped])
    body = {"number": shared.number, "text": "Sale", "audience": {"profiles": [f"+{PHONE}"]}}
    nid = await campaign(shared, body)
    assert (await finished(shared, nid))["skipped"]["opted_out"] == 1
    event = {
        "type": "ticket.created",
        "number": shared.number,
        "phone": f"+{PHONE}",
        "data": {"id": 7, "priority": "high"},
    }
    answer = await shared.call("support", "POST", "/v1/events", event)
    assert answer.status == 202 and answer.json["skipped"] == ["opted_out", "opted_out"]
    for notification in answer.json["notifications"]:
        await finished(shared, notification)

    assert (await shared.call("support", "DELETE", f"/v1/profiles/{profile}")).status == 200
    left = await dump(real_redis, f"{prefix}*")
    assert [line for line in left if PHONE in line] == []
    (audience,) = [line for line in left if f"{{ntf:{nid}}}:aud" in line]
    assert audience.endswith(f" p:{profile}")


async def test_a_campaign_stopped_while_the_person_waited_out_quiet_hours_keeps_no_phone(
    make_bot: BotFactory, real_redis: Redis, prefix: str
) -> None:
    shared = await setup(make_bot, notifications=NotificationSettings(quiet_hours=quiet_now(6)))
    quiet_there = Person(PHONE, {"timezone": "Etc/GMT-6"}, wrote_at=time.time() - 60)
    (profile,) = await seed(shared.bot.runtime, shared.number, [quiet_there])
    body = {"number": shared.number, "text": "Later", "audience": {"profiles": [f"+{PHONE}"]}}
    nid = await campaign(shared, body)
    assert (await finished(shared, nid, deferred=True))["counts"]["deferred"] == 1
    stop = {"reason": "the price is wrong"}
    stopped = await shared.call("support", "POST", f"/v1/notifications/{nid}/stop", stop)
    assert stopped.status == 200, stopped.raw

    assert (await shared.call("support", "DELETE", f"/v1/profiles/{profile}")).status == 200
    assert [line for line in await dump(real_redis, f"{prefix}*") if PHONE in line] == []
