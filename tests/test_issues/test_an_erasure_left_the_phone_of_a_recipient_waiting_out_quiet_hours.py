"""A campaign that named a customer by phone, and waited for their quiet hours to end
before sending to them, kept that phone in Redis after the customer was erased: the
run's record of the deferred recipient (``d|<until>|p:+447911800798``) was not among
what an erasure rewrites, so it held the phone until the quiet hours ended. The erasure
rewrites it to the profile's id, and the recipient is skipped as ``suppressed`` when the
quiet hours end."""

from __future__ import annotations

import time
from typing import Any

from redis.asyncio import Redis

from bot.config.notifications import NotificationSettings
from tests.conftest import BotFactory
from tests.test_issues.test_erasure_left_the_person_in_their_campaigns import dump
from tests.test_notifications import (
    Person,
    campaign,
    finished,
    quiet_now,
    report,
    seed,
    setup,
    until,
)

PHONE = "447911800798"


async def test_an_erased_recipient_waiting_out_quiet_hours_leaves_no_phone(
    make_bot: BotFactory, real_redis: Redis, prefix: str
) -> None:
    shared = await setup(make_bot, notifications=NotificationSettings(quiet_hours=quiet_now(6)))
    runtime = shared.bot.runtime
    quiet_there = Person(PHONE, {"timezone": "Etc/GMT-6"}, wrote_at=time.time() - 60)
    (profile,) = await seed(runtime, shared.number, [quiet_there])
    body = {"number": shared.number, "text": "Later", "audience": {"profiles": [f"+{PHONE}"]}}
    nid = await campaign(shared, body)
    await finished(shared, nid, deferred=True)

    async def deferred() -> dict[str, Any] | None:
        found = await report(shared, nid)
        return found if found["runs"][0]["deferred_until"] else None

    waiting = await until(deferred, 20, "the run to wait for the quiet hours")
    assert waiting["counts"]["deferred"] == 1, waiting["counts"]

    assert (await shared.call("support", "DELETE", f"/v1/profiles/{profile}")).status == 200
    assert [line for line in await dump(real_redis, f"{prefix}*") if PHONE in line] == []

    run = waiting["runs"][0]
    ends = run["deferred_until"]
    await runtime.outreach.notifications.runs.execute(nid, run["run"], clock=lambda: ends + 1)
    await shared.bot.settle()
    found = await report(shared, nid)
    assert found["skipped"]["suppressed"] == 1 and found["counts"]["deferred"] == 0
    assert [m.to for m in shared.graph.sent if m.text == "Later"] == []
