"""A recipient whose send was reported failed, and who followed its tracked link all the
same, was listed by ``recipients?status=clicked`` and chosen by a campaign response on
``clicked``, but left out of the report's ``clicked`` count: three views, two answers.
A click counts now whatever the send's status says."""

from __future__ import annotations

import json
import time

import pytest

import bot.outreach.notifications
from tests.conftest import BotFactory
from tests.test_notifications import Person, campaign, finished, report, seed, setup


async def test_every_view_of_the_clicks_agrees(
    make_bot: BotFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bot.outreach.notifications, "ENGAGEMENT_SECONDS", 0.0)
    shared = await setup(make_bot, links=True)
    people = [Person(f"44791190010{n}", wrote_at=time.time() - 60) for n in range(2)]
    ids = await seed(shared.bot.runtime, shared.number, people)
    shared.graph.fail_next(1, status=400, code=131026)  # the first send fails for good
    body = {"number": shared.number, "text": "See https://shop.example.com/sale"}
    nid = await campaign(shared, body | {"audience": {"profiles": ids}})
    found = await finished(shared, nid)
    assert (found["counts"]["sent"], found["counts"]["failed"]) == (1, 1)
    bodies = [json.loads(r.raw_body).get("text", {}).get("body", "") for r in shared.graph.requests]
    texts = [text for text in bodies if "/l/" in text]
    assert len(texts) == 2
    for text in texts:  # the refused send's link too: a status can say failed after all
        token = text.rsplit("/l/", 1)[1]
        answer = await shared.bot.client.get(f"/l/{token}", allow_redirects=False)
        assert answer.status == 302
    listed = await shared.call(
        "support", "GET", f"/v1/notifications/{nid}/recipients?status=clicked"
    )
    assert listed.status == 200, listed.raw
    assert len(listed.json["recipients"]) == 2
    assert (await report(shared, nid))["counts"]["clicked"] == 2
