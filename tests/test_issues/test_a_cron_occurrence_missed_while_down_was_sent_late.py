"""A cron occurrence that fell while no bot ran went out late, at the next start: Monday's
"0 9 * * MON" on Tuesday. docs/api.md: "Occurrences missed while no process ran are not
made up for." A cron run taken more than a minute after its time, not started yet, is
left now, and the next occurrence scheduled; one started before the stop goes on."""

from __future__ import annotations

from tests.conftest import BotFactory
from tests.test_notifications import report, setup


async def test_a_missed_occurrence_is_not_made_up_for(make_bot: BotFactory) -> None:
    shared = await setup(make_bot)
    body = {
        "number": shared.number,
        "text": "Daily digest",
        "cron": "0 3 * * *",
        "audience": {"conversations": [shared.conversation]},
    }
    answer = await shared.call("support", "POST", "/v1/notifications", body)
    assert answer.status == 202, answer.raw
    nid, run = answer.json["notification"]["id"], int(answer.json["notification"]["next_at"])
    outreach = shared.bot.runtime.outreach
    # The run taken two minutes after its time: the bot was not running then.
    result = await outreach.notifications.runs.execute(nid, run, clock=lambda: run + 120.0)
    assert result.done and not result.sent
    await shared.bot.settle()
    assert [m for m in shared.graph.sent if m.text == "Daily digest"] == []
    found = await report(shared, nid)
    assert found["runs"] == [] and found["status"] == "scheduled"
    assert found["next_at"] == run + 24 * 3600
    assert await outreach.notifications.store.scheduled(nid) == [
        (run + 24 * 3600, float(run + 24 * 3600))
    ]
