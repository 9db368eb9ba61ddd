"""A drip step that quiet hours deferred still went when they ended, though the customer
had been unenrolled meanwhile (or had converted, replied, opted out): the deferred
recipient was decided again for consent and opt-out, never for the enrolment. It is
counted ``ended`` now, and nothing goes."""

from __future__ import annotations

from tests.conftest import BotFactory
from tests.test_api import WA_ID
from tests.test_notifications import until
from tests.test_sequences import drip_in_quiet_hours, later, sent_to, sequence_report


async def test_a_deferred_step_does_not_go_once_the_enrolment_ended(make_bot: BotFactory) -> None:
    shared = await drip_in_quiet_hours(make_bot)

    async def deferred() -> bool:
        return (await sequence_report(shared))["steps"][0]["counts"]["deferred"] == 1

    await until(deferred, what="the welcome deferred")
    gone = await shared.call("support", "DELETE", f"/v1/sequences/welcome/enrolments/wa:{WA_ID}")
    assert gone.status == 200, gone.raw
    later(shared, 61 * 60)

    async def ended() -> dict[str, int] | None:
        step: dict[str, dict[str, int]] = (await sequence_report(shared))["steps"][0]
        return step["counts"] if step["skipped"]["ended"] == 1 else None

    counts = await until(ended, what="the deferred step counted ended")
    await shared.bot.settle()
    assert counts["deferred"] == 0 and counts["queued"] == 0
    assert not sent_to(shared, WA_ID, text="Welcome aboard")
