"""``?limit=`` took any character ``str.isdigit`` takes: ``٣`` (Arabic-Indic three) was
read as 3, and ``²`` passed the check and then failed in ``int()``. A page size is ASCII
digits, as the docs write it; anything else gets the route's 400."""

from __future__ import annotations

from tests.conftest import BotFactory
from tests.test_api import WA_ID, call, shared_number
from tests.test_notifications import setup
from tests.test_notifications_drafts import draft

OTHER_DIGITS = ["\u0663", "\u00b2", "\uff15", "\u2460"]


async def test_the_event_feed_and_a_profiles_campaigns_want_ascii_digits(
    make_bot: BotFactory,
) -> None:
    shared = await shared_number(make_bot)
    token = shared.tokens["sales"]
    for limit in OTHER_DIGITS:
        feed = await call(shared.bot, token, "GET", f"/v1/events?limit={limit}")
        assert feed.status == 400 and "'limit'" in feed.error, (limit, feed.raw)
        path = f"/v1/profiles/wa:{WA_ID}/campaigns?limit={limit}"
        campaigns = await call(shared.bot, token, "GET", path)
        assert campaigns.status == 400 and "'limit'" in campaigns.error, (limit, campaigns.raw)


async def test_a_campaigns_recipients_want_ascii_digits(make_bot: BotFactory) -> None:
    shared = await setup(make_bot)
    body = {"number": shared.number, "text": "Draft sale", "audience": {"topic": "offers"}}
    nid = await draft(shared, body)
    for limit in OTHER_DIGITS:
        path = f"/v1/notifications/{nid}/recipients?limit={limit}"
        answer = await shared.call("support", "GET", path)
        assert answer.status == 400 and "'limit'" in answer.error, (limit, answer.raw)
