"""Two enrolled profiles merged into one person (one person's two WhatsApp ids, say)
kept two enrolments, and every later step went twice to that person; the enrolment
look-up showed one. The enrolment of a profile merged into another that is enrolled
too ends (``merged``) before its next step: each step goes once."""

from __future__ import annotations

import time
from dataclasses import replace

from tests.conftest import BotFactory
from tests.test_api import WA_ID, shared_number
from tests.test_notifications import NO_QUIET, Person, seed, until
from tests.test_sequences import DAY, OTHER, drip, later, sent_to, sequence_report, templates


async def test_a_step_goes_once_to_a_person_merged_from_two_enrolled_profiles(
    make_bot: BotFactory,
) -> None:
    # One enrolment a batch: the two go in runs of their own, as enrolments made apart do.
    one_a_batch = replace(NO_QUIET, batch=1)
    shared = await shared_number(
        make_bot, notifications=one_a_batch, sequences=drip({"workflow": "signup"})
    )
    await seed(
        shared.bot.runtime, shared.number, [Person(OTHER, wrote_at=time.time() - 60, name="Bo")]
    )
    for wa_id in (WA_ID, OTHER):
        body = {"type": "signup", "number": shared.number, "phone": f"+{wa_id}"}
        assert (await shared.call("support", "POST", "/v1/events", body)).status == 202
    await until(lambda: sent_to(shared, WA_ID, text="Welcome aboard"), what="day 0")
    await until(lambda: sent_to(shared, OTHER, text="Welcome aboard"), what="day 0, other")
    merged = await shared.call(
        "support", "POST", f"/v1/profiles/wa:{WA_ID}/merge", {"other": f"wa:{OTHER}"}
    )
    assert merged.status == 200, merged.raw

    later(shared, 3 * DAY + 60)

    async def ended() -> dict[str, int] | None:
        stopped: dict[str, int] = (await sequence_report(shared))["enrolments"]["stopped"]
        return stopped if stopped["merged"] == 1 else None

    await until(ended, what="the merged enrolment to end")
    await until(lambda: templates(shared, "drip_follow_up"), what="the follow-up")
    await shared.bot.settle()
    later(shared, 3 * DAY + 120)  # the scheduler looks again: nothing more is due
    await shared.bot.settle()
    report = await sequence_report(shared)
    assert report["steps"][1]["counts"]["recipients"] == 1
    assert len(templates(shared, "drip_follow_up")) == 1
