"""An erasure reached only the campaigns already queued to the person. A campaign for
later, a draft or a reviewed draft that named them by phone or WhatsApp id kept it in
plain text in Redis, in its audience and frozen list, and when the customer wrote again
(a new lead with that phone) the old campaign reached them when it went. The erasure
puts the erased profile's id in place of each such entry now: they are skipped as
``suppressed``."""

from __future__ import annotations

import time

from redis.asyncio import Redis

from tests.conftest import BotFactory
from tests.test_api import say
from tests.test_issues.test_erasure_left_the_person_in_their_campaigns import dump
from tests.test_notifications import campaign, finished, setup
from tests.test_notifications_drafts import draft, review
from tests.test_sequences import later

NEW = "447911138001"


async def test_campaigns_not_yet_queued_forget_an_erased_customer(
    make_bot: BotFactory, real_redis: Redis, prefix: str
) -> None:
    shared = await setup(make_bot)
    await say(shared.bot, "hi", NEW)
    named = {"profiles": [f"+{NEW}", f"wa:{NEW}", "+44 7911 138 001"]}
    base = {"number": shared.number, "respect_quiet_hours": False, "audience": named}
    scheduled = await campaign(shared, base | {"text": "OLD CAMPAIGN", "at": time.time() + 3600})
    reviewed = await draft(shared, base | {"text": "OLD DRAFT"})
    assert (await review(shared, reviewed))["eligible"] == 1
    unreviewed = await draft(shared, base | {"text": "NEVER REVIEWED"})

    erased = await shared.call("support", "DELETE", f"/v1/profiles/wa:{NEW}")
    assert erased.status == 200, erased.raw
    written = (NEW[4:], "7911 138 001")
    lines = await dump(real_redis, f"{prefix}*")
    kept = [line for line in lines if any(phone in line for phone in written)]
    assert not kept, kept

    # They write again, a new lead with that phone; the old campaigns go.
    await say(shared.bot, "hello again", NEW, timestamp=int(time.time()) + 2)
    sent = await shared.call("support", "POST", f"/v1/notifications/{reviewed}/send")
    assert sent.status == 202, sent.raw
    later(shared, 3700)
    for nid in (scheduled, reviewed):
        found = await finished(shared, nid)
        assert (found["counts"]["queued"], found["skipped"]["suppressed"]) == (0, 1), found
    texts = [m.text for m in shared.graph.sent if m.to == NEW]
    assert not {"OLD CAMPAIGN", "OLD DRAFT"} & set(texts), texts
    # Erasing again (the new lead) is as safe: nothing of theirs is kept either.
    again = await shared.call("support", "DELETE", f"/v1/profiles/wa:{NEW}")
    assert again.status == 200, again.raw
    assert (await review(shared, unreviewed))["skipped"]["suppressed"] == 1
