"""``/recipients?status=sent`` read its page from the set of sends the channel took, then
left out those that failed after: a page came back short, or empty, with a ``next_cursor``
(a failed send among the first ``limit`` entries), and a client that stopped at an empty
page missed every recipient after it. docs/api.md says only a page of ``unsubscribed`` may
hold fewer than ``limit`` and still have a cursor. A page of ``sent`` holds ``limit``
recipients while there are more, and a cursor only when there are."""

from __future__ import annotations

from tests.conftest import BotFactory
from tests.test_notifications import setup
from tests.test_notifications_follow import followed_campaign, recipients, wa_of


async def test_pages_of_sent_are_full_while_there_are_more(make_bot: BotFactory) -> None:
    shared = await setup(make_bot, links=True)
    nid, people, _ = await followed_campaign(shared)  # the fourth's send failed after it went
    sent = sorted(p.wa for p in people[:3])
    for limit in (1, 2, 3):
        seen, cursor = [], ""
        while True:
            page = await recipients(shared, nid, f"status=sent&limit={limit}&cursor={cursor}")
            cursor = page["next_cursor"]
            found = wa_of(page["recipients"])
            assert len(found) == limit if cursor else 1 <= len(found) <= limit, (limit, page)
            seen += found
            if cursor is None:
                break
        assert sorted(seen) == sent, limit
