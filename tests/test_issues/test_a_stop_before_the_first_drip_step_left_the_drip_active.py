"""A customer who opted out (STOP) before a drip's first step had gone to them (it waited
out quiet hours) stayed ``active`` in the sequence until the step came due, hours later;
README: a profile's way through ends when it "opts out (`opt_out`), as the message
arrives". A message that is no STOP before any step went stops nothing, as before."""

from __future__ import annotations

from tests.conftest import BotFactory
from tests.test_api import WA_ID, say
from tests.test_notifications import until
from tests.test_sequences import drip_in_quiet_hours, enrolment, sequence_report


async def test_a_stop_before_any_step_ends_the_drip_at_once(make_bot: BotFactory) -> None:
    shared = await drip_in_quiet_hours(make_bot)

    async def deferred() -> bool:
        return (await sequence_report(shared))["steps"][0]["counts"]["deferred"] == 1

    await until(deferred, what="the welcome deferred")
    await say(shared.bot, "one more thing")
    assert (await enrolment(shared, f"wa:{WA_ID}"))["status"] == "active"
    await say(shared.bot, "STOP")
    stopped = await enrolment(shared, f"wa:{WA_ID}")
    assert (stopped["status"], stopped["reason"]) == ("stopped", "opt_out"), stopped
    assert (await sequence_report(shared))["enrolments"]["stopped"]["opt_out"] == 1
