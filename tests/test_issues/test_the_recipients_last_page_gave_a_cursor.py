"""``GET /v1/notifications/{id}/recipients`` gave a ``next_cursor`` on its last page when
that page was full (two delivered, ``limit=2``; or the second of ``limit=1``), and the
page after was empty: the docs say ``next_cursor`` is null at the end. Whether there is more
is known from one recipient more than the page."""

from __future__ import annotations

from tests.conftest import BotFactory
from tests.test_notifications import setup
from tests.test_notifications_follow import followed_campaign, recipients


async def test_the_last_page_has_no_cursor(make_bot: BotFactory) -> None:
    shared = await setup(make_bot, links=True)
    nid, _, _ = await followed_campaign(shared)
    whole = await recipients(shared, nid, "status=delivered&limit=2")
    assert len(whole["recipients"]) == 2 and whole["next_cursor"] is None
    pages, cursor = [], ""
    while True:
        page = await recipients(shared, nid, f"status=delivered&limit=1&cursor={cursor}")
        pages.append(len(page["recipients"]))
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == [1, 1]
    failed = await recipients(shared, nid, "status=failed&limit=1")
    assert len(failed["recipients"]) == 1 and failed["next_cursor"] is None
