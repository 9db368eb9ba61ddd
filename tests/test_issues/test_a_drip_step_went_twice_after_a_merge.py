"""Two enrolled profiles merged into one person (one person's two WhatsApp ids, say)
kept two enrolments, and every later step went twice to that person; the enrolment
look-up showed one. The enrolment of a profile merged into another that is enrolled
too ends (``merged``) before its next step: each step goes once."""

from __future__ import annotations

from dataclasses import replace

from tests.conftest import BotFactory
from tests.test_api import WA_ID
from tests.test_notifications import NO_QUIET, until
from tests.test_sequences import DAY, OTHER, both_signed_up, later, sequence_report, templates


async def test_a_step_goes_once_to_a_person_merged_from_two_enrolled_profiles(
    make_bot: BotFactory,
) -> None:
    # One enrolment a batch: the two go in runs of their own, as enrolments made apart do.
    shared = await both_signed_up(make_bot, replace(NO_QUIET, batch=1))
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
