"""A message written while a drip's first step waited out quiet hours stopped the drip.

As a customer saw it: they wrote at night; the sequence's first step was deferred to the
end of their quiet hours; they wrote again before it came ("are you there?"). At the end
of the quiet hours the first step came, and nothing after it: their enrolment had ended
as a ``reply``, though no step had reached them when they wrote (README: it ends when
they reply to a step). The step counted as gone when it was claimed, not when it went.
"""

from __future__ import annotations

import time

from tests.conftest import BotFactory
from tests.test_api import WA_ID, say
from tests.test_notifications import until
from tests.test_sequences import (
    DAY,
    drip_in_quiet_hours,
    later,
    sent_to,
    sequence_report,
    templates,
)


async def test_what_they_wrote_before_the_first_step_went_is_no_reply(
    make_bot: BotFactory,
) -> None:
    shared = await drip_in_quiet_hours(make_bot)

    async def deferred() -> bool:
        return (await sequence_report(shared))["steps"][0]["counts"]["deferred"] == 1

    await until(deferred, what="the welcome deferred")
    # A while after the step was claimed (WhatsApp dates a message in whole seconds).
    await say(shared.bot, "are you there?", timestamp=int(time.time()) + 2)
    await shared.bot.settle()
    later(shared, 61 * 60)
    await until(lambda: sent_to(shared, WA_ID, text="Welcome aboard"), what="day 0 at last")
    later(shared, 61 * 60 + 3 * DAY + 60)
    await until(lambda: templates(shared, "drip_follow_up"), what="day 3")
    report = await sequence_report(shared)
    assert report["enrolments"]["stopped"]["reply"] == 0, report["enrolments"]
