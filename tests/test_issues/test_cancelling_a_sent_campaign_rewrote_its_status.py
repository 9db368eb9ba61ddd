"""``DELETE /v1/notifications/{id}`` of a campaign that had gone out to everyone answered
200 and turned its status to ``cancelled``: the report of a campaign every recipient got
then said it was cancelled. Stop refused the same campaign (409, "is sent").

What must hold: a campaign sent or stopped already is not cancelled (409, from the API and
the team chat), and its status stays; a scheduled one still is."""

from __future__ import annotations

import time

from handlers.commands import Caller
from tests.conftest import BotFactory
from tests.test_notifications import Person, campaign, finished, report, seed, setup


async def test_a_sent_campaign_cannot_be_cancelled(make_bot: BotFactory) -> None:
    shared = await setup(make_bot)
    await seed(shared.bot.runtime, shared.number, [Person("447911720001", wrote_at=time.time())])
    body = {"number": shared.number, "text": "Sale", "audience": {"topic": "offers"}}
    nid = await campaign(shared, body)
    assert (await finished(shared, nid))["status"] == "sent"

    answer = await shared.call("support", "DELETE", f"/v1/notifications/{nid}")
    assert answer.status == 409 and "is sent: there is nothing to cancel" in answer.error
    said = await shared.bot.runtime.commands.run(
        Caller("ann@example.com", "agent"), f"/notify cancel {nid}"
    )
    assert "is sent: there is nothing to cancel" in said
    assert (await report(shared, nid))["status"] == "sent"

    later = {**body, "at": time.time() + 3600}
    scheduled = await campaign(shared, later)
    answer = await shared.call("support", "DELETE", f"/v1/notifications/{scheduled}")
    assert answer.status == 200, answer.raw
    assert (await report(shared, scheduled))["status"] == "cancelled"
    again = await shared.call("support", "DELETE", f"/v1/notifications/{scheduled}")
    assert again.status == 200, again.raw
