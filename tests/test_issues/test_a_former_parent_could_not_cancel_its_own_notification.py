"""A service that made a scheduled or cron notification, then stopped being the number's
parent (another service attached before it, a failover), got 403 "only the parent
service automates on this number" for its ``DELETE`` and its ``stop``: its schedule was
the operator's alone to end, though ending it sends nothing. Its author may end it now;
a third service still may not."""

from __future__ import annotations

import time

from tests.conftest import BotFactory
from tests.test_notifications import Person, campaign, seed, setup

NEXT_YEAR = time.gmtime().tm_year + 1


async def test_the_author_ends_its_own_notification_parent_or_not(make_bot: BotFactory) -> None:
    shared = await setup(make_bot)
    runtime = shared.bot.runtime
    ids = await seed(runtime, shared.number, [Person("447911500001", wrote_at=time.time() - 60)])
    at = time.mktime((NEXT_YEAR, 1, 1, 9, 0, 0, 0, 0, 0))
    body = {"number": shared.number, "text": "New year", "at": at, "audience": {"profiles": ids}}
    cancelled, stopped = await campaign(shared, body), await campaign(shared, body)
    # support, the parent, goes to the end of the order: sales is the parent now.
    await runtime.directory.store.detach(shared.number, "support")
    await runtime.directory.store.attach(shared.number, "support")
    assert (await runtime.services.order(shared.number))[0] != "support"

    path = f"/v1/notifications/{cancelled}"
    refused = await shared.call("marketing", "DELETE", path)
    assert refused.status == 403, refused.raw
    answer = await shared.call("support", "DELETE", path)
    assert answer.status == 200 and answer.json["notification"]["status"] == "cancelled"

    path = f"/v1/notifications/{stopped}/stop"
    refused = await shared.call("marketing", "POST", path, {"reason": "not mine"})
    assert refused.status == 403, refused.raw
    answer = await shared.call("support", "POST", path, {"reason": "the offer ended"})
    assert answer.status == 200 and answer.json["notification"]["status"] == "stopped"
