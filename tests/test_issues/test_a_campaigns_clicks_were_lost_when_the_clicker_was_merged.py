"""A campaign's ``clicked`` count went from 1 to 0 once the recipient who clicked was
merged into an older profile: the report read clicks under each recipient's profile as
it is now, where the click had been kept under the profile it clicked as. The
campaign's own list of clickers (its recipients ``?status=clicked``) still named them."""

from __future__ import annotations

import time

import pytest

from tests.conftest import BotFactory
from tests.test_notifications import Person, campaign, finished, report, seed, setup


async def test_a_click_counts_after_its_clicker_is_merged(
    make_bot: BotFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.outreach.notifications

    monkeypatch.setattr(bot.outreach.notifications, "ENGAGEMENT_SECONDS", 0.0)
    shared = await setup(make_bot, links=True)
    now = time.time()
    dan, eve = Person("447911900101", wrote_at=now - 120), Person("447911900102", wrote_at=now - 60)
    older, newer = await seed(shared.bot.runtime, shared.number, [dan, eve])
    body = {
        "number": shared.number,
        "text": "Eve: https://shop.example.com/eve",
        "audience": {"profiles": [newer]},
    }
    nid = await campaign(shared, body)
    await finished(shared, nid)
    (sent,) = [m.text or "" for m in shared.graph.sent if "/l/" in (m.text or "")]
    response = await shared.bot.client.get(f"/l/{sent.rsplit('/l/', 1)[1]}", allow_redirects=False)
    assert response.status == 302
    assert (await report(shared, nid))["counts"]["clicked"] == 1

    merged = await shared.call("sales", "POST", f"/v1/profiles/{newer}/merge", {"other": older})
    assert merged.status == 200, merged.raw

    assert (await report(shared, nid))["counts"]["clicked"] == 1
    clickers = await shared.call(
        "sales", "GET", f"/v1/notifications/{nid}/recipients?status=clicked"
    )
    assert len(clickers.json["recipients"]) == 1
