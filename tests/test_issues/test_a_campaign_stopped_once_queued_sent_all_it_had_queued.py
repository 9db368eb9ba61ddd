"""A campaign says ``sent`` once its whole audience is queued, while most of its sends may
still wait in the outbox for the number's rate (a 3,000-recipient campaign: ``sent``, 567
made, 2,433 waiting). A stop then answered 409 "is sent: there is nothing to stop", and
every queued send went; a stop while it was sending also let all it had queued go. A stop
now withdraws what waits: none of it is made, each is counted ``withdrawn`` (not among the
failures), the services hear it failed with the code ``withdrawn``, and the report drains."""

from __future__ import annotations

import time
from typing import Any

from handlers.commands import Caller
from tests.conftest import BotFactory
from tests.test_notifications import Person, adds_up, campaign, report, seed, setup, until

REASON = {"reason": "the price in it is wrong"}


async def test_a_stop_withdraws_the_sends_still_waiting_in_the_outbox(
    make_bot: BotFactory,
) -> None:
    shared = await setup(make_bot, whatsapp_rate=0.5)  # one send every 2 s
    people = [Person(f"4479117200{n:02d}", wrote_at=time.time() - 60) for n in range(4)]
    ids = await seed(shared.bot.runtime, shared.number, people)
    body = {"number": shared.number, "text": "Sale starts now", "audience": {"profiles": ids}}
    nid = await campaign(shared, body)

    async def queued_whole() -> dict[str, Any] | None:
        found = await report(shared, nid)
        return found if found["status"] == "sent" and found["counts"]["queued"] == 4 else None

    waiting = (await until(queued_whole, 10, "the audience queued"))["counts"]["in_flight"]
    assert waiting >= 2  # one send every 2 s: the last ones wait their turn
    answer = await shared.call("support", "POST", f"/v1/notifications/{nid}/stop", REASON)
    assert answer.status == 200, answer.raw
    assert answer.json["notification"]["status"] == "stopped"

    async def drained() -> dict[str, Any] | None:
        found = await report(shared, nid)
        return found if found["counts"]["in_flight"] == 0 else None

    found = await until(drained, 20, "the waiting sends withdrawn")
    counts = found["counts"]
    assert found["status"] == "stopped" and counts["failed"] == 0
    assert counts["withdrawn"] >= waiting - 1  # one may have taken its turn meanwhile
    assert counts["sent"] + counts["withdrawn"] == 4
    adds_up(found)
    made = [m for m in shared.graph.sent if m.text == "Sale starts now"]
    assert len(made) == counts["sent"]
    failed = await shared.call(
        "support", "GET", f"/v1/notifications/{nid}/recipients?status=failed"
    )
    assert failed.status == 200 and failed.json["recipients"] == [], failed.raw
    # The team's report says so too.
    caller = Caller("ann@example.com", "agent")
    answer_text = await shared.bot.runtime.commands.run(caller, f"/notify report {nid}")
    assert f"withdrawn {counts['withdrawn']}, in flight 0" in answer_text
    # Nothing is left to stop once every send is made or withdrawn.
    again = await shared.call("support", "POST", f"/v1/notifications/{nid}/stop", REASON)
    assert again.status == 409, again.raw
