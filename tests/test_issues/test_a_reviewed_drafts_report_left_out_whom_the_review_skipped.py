"""A reviewed draft's report, once sent, left out everyone its review had skipped: the
review said "recipients 3: eligible 1, skipped 2 (opted out 1, left the topic 1)", and the
report after the send "recipients 1", with no one skipped and none listed by
``/recipients?status=skipped``, where the same campaign sent without a draft counts and
lists them (AU-4: each send reports the recipients skipped by reason). The send still
goes to the eligible the review froze, and to no one it skipped."""

from __future__ import annotations

import time

from bot.model import Identity, conversation_id
from tests.conftest import BotFactory
from tests.test_notifications import Person, adds_up, finished, seed, setup
from tests.test_notifications_drafts import draft, review


async def test_the_report_counts_and_lists_whom_the_review_skipped(make_bot: BotFactory) -> None:
    shared = await setup(make_bot)
    now = time.time()
    people = [
        Person("447911500001", wrote_at=now - 60, opted_out=True),
        Person("447911500002", {"topics_off": "offers"}, now - 60),
    ]
    await seed(shared.bot.runtime, shared.number, people)
    body = {"number": shared.number, "text": "Reviewed sale", "topic": "offers"}
    nid = await draft(shared, body | {"audience": {"topic": "offers"}})
    found = await review(shared, nid)
    # The two seeded and the customer who said hello.
    assert (found["recipients"], found["eligible"]) == (3, 1)
    # Between review and send, the one who opted out opts back in: the review skipped
    # them, and the send goes to the list it froze.
    runtime = shared.bot.runtime
    async with runtime.redis.pipeline(transaction=False) as pipe:
        cid = conversation_id(shared.number, Identity("wa", "447911500001"))
        runtime.conversations.queue_opt_out(pipe, cid, False)
        await pipe.execute()
    answer = await shared.call("support", "POST", f"/v1/notifications/{nid}/send")
    assert answer.status == 202, answer.raw
    done = await finished(shared, nid)
    assert done["counts"]["recipients"] == 3 and done["counts"]["sent"] == 1, done
    assert done["skipped"]["opted_out"] == 1 and done["skipped"]["topic_conflict"] == 1, done
    adds_up(done)
    listed = await shared.call(
        "support", "GET", f"/v1/notifications/{nid}/recipients?status=skipped"
    )
    assert listed.status == 200, listed.raw
    reasons = sorted(r.get("reason", "") for r in listed.json["recipients"])
    assert reasons == ["opted_out", "topic_conflict"], listed.json
    sent = [m.to for m in shared.graph.sent if m.text == "Reviewed sale"]
    assert sent == ["447911123456"]
