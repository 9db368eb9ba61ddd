"""``GET /v1/notifications/{id}/recipients?status=unsubscribed`` listed its recipients
without ``at``, which docs/api.md gives every item (and ``status=sent`` has): an
unsubscribed item says when the campaign was sent to them now."""

from __future__ import annotations

from tests.conftest import BotFactory
from tests.test_notifications import setup
from tests.test_notifications_follow import followed_campaign, recipients


async def test_every_outcomes_items_say_when(make_bot: BotFactory) -> None:
    shared = await setup(make_bot, links=True)
    nid, people, _ = await followed_campaign(shared)
    (sent_to_them,) = [
        item
        for item in (await recipients(shared, nid, "status=sent"))["recipients"]
        if item["identity"] == f"wa:{people[2].wa}"
    ]
    (gone,) = (await recipients(shared, nid, "status=unsubscribed"))["recipients"]
    assert gone["at"] == sent_to_them["at"]
    for status in ("sent", "delivered", "read", "failed", "clicked", "skipped"):
        for item in (await recipients(shared, nid, f"status={status}"))["recipients"]:
            assert isinstance(item.get("at"), float), (status, item)
