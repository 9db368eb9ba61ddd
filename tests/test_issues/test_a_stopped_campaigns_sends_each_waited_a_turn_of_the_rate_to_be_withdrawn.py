"""A stop withdraws a campaign's sends still waiting in the outbox, but each first waited
for the turn of the number's rate it had taken, and those not yet read took one more: a
stopped 2,000-send campaign at 80 a second took about 25 s to withdraw them all, holding
the number's turns meanwhile. Once a claim finds the campaign stopped, its sends waiting
for a turn give it up, and those still to come take none."""

from __future__ import annotations

import time
from typing import Any

from tests.conftest import BotFactory
from tests.test_notifications import Person, adds_up, campaign, report, seed, setup, until

REASON = {"reason": "the link in it is wrong"}


async def test_the_waiting_sends_of_a_stopped_campaign_wait_for_no_turn(
    make_bot: BotFactory,
) -> None:
    shared = await setup(make_bot, whatsapp_rate=0.25)  # one send every 4 s
    people = [Person(f"4479117300{n:02d}", wrote_at=time.time() - 60) for n in range(8)]
    ids = await seed(shared.bot.runtime, shared.number, people)
    body = {"number": shared.number, "text": "Sale starts now", "audience": {"profiles": ids}}
    nid = await campaign(shared, body)

    async def first_made() -> dict[str, Any] | None:
        found = await report(shared, nid)
        counts = found["counts"]
        return found if counts["queued"] == 8 and counts["sent"] >= 1 else None

    await until(first_made, 10, "the audience queued, the first send made")
    answer = await shared.call("support", "POST", f"/v1/notifications/{nid}/stop", REASON)
    assert answer.status == 200, answer.raw

    async def drained() -> dict[str, Any] | None:
        found = await report(shared, nid)
        return found if found["counts"]["in_flight"] == 0 else None

    # The turns the waiting sends took run to 28 s after the first; the next turn, 4 s
    # after it, finds the campaign stopped, and the rest wait no more.
    found = await until(drained, 14, "the waiting sends withdrawn")
    counts = found["counts"]
    assert counts["sent"] <= 2 and counts["sent"] + counts["withdrawn"] == 8, counts
    adds_up(found)
    made = [m for m in shared.graph.sent if m.text == "Sale starts now"]
    assert len(made) == counts["sent"]
