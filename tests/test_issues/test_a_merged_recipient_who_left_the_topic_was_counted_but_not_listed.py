"""A recipient of a topic campaign who was merged into an older profile afterwards, and
then left the topic, was counted in the report's ``unsubscribed``, yet
``GET /v1/notifications/{id}/recipients?status=unsubscribed`` left them out and
``GET /v1/profiles/{id}/campaigns`` said ``"unsubscribed": false``: the count read the
topics of the person the recipient is now, the list those of the profile merged away."""

from __future__ import annotations

import time

import pytest

from tests.conftest import BotFactory
from tests.test_notifications import Person, campaign, finished, report, seed, setup


async def test_a_merged_recipient_who_left_the_topic_is_listed_as_counted(
    make_bot: BotFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.outreach.notifications

    monkeypatch.setattr(bot.outreach.notifications, "ENGAGEMENT_SECONDS", 0.0)
    shared = await setup(make_bot)
    now = time.time()
    dan, eve = Person("447911900201", wrote_at=now - 120), Person("447911900202", wrote_at=now - 60)
    older, newer = await seed(shared.bot.runtime, shared.number, [dan, eve])
    body = {"number": shared.number, "text": "News!", "audience": {"profiles": [newer]}}
    nid = await campaign(shared, body | {"topic": "news"})
    assert (await finished(shared, nid))["counts"]["sent"] == 1

    merged = await shared.call("sales", "POST", f"/v1/profiles/{newer}/merge", {"other": older})
    assert merged.status == 200, merged.raw
    left = await shared.call(
        "support", "POST", "/v1/profiles/wa:447911900202/topics", {"unsubscribe": ["news"]}
    )
    assert left.status == 200, left.raw

    assert (await report(shared, nid))["counts"]["unsubscribed"] == 1
    listed = await shared.call(
        "sales", "GET", f"/v1/notifications/{nid}/recipients?status=unsubscribed"
    )
    assert [r["identity"] for r in listed.json["recipients"]] == ["wa:447911900202"]
    campaigns = await shared.call("sales", "GET", f"/v1/profiles/{older}/campaigns")
    (theirs,) = [c for c in campaigns.json["campaigns"] if c["id"] == nid]
    assert theirs["outcomes"]["unsubscribed"] is True
