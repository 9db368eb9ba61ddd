"""A drip's last step that quiet hours deferred never went: claiming it finished the
enrolment at once, and when quiet hours ended the deferred recipient was taken for one
whose enrolment had ended meanwhile (a reply, an unenrolment), and skipped ``ended``.
Unenrolling them meanwhile answered ``stopped: false``, though the step was yet to go."""

from __future__ import annotations

from tests.conftest import BotFactory
from tests.test_api import WA_ID, Shared
from tests.test_notifications import until
from tests.test_sequences import drip_in_quiet_hours, later, sent_to, sequence_report

ONLY_STEP = [{"wait": "0d", "name": "welcome", "text": "Welcome aboard, {profile.name}!"}]


async def one_step_drip_in_quiet_hours(make_bot: BotFactory) -> Shared:
    return await drip_in_quiet_hours(make_bot, steps=ONLY_STEP)


async def deferred(shared: Shared) -> bool:
    return bool((await sequence_report(shared))["steps"][0]["counts"]["deferred"] == 1)


async def test_a_deferred_last_step_goes_when_quiet_hours_end(make_bot: BotFactory) -> None:
    shared = await one_step_drip_in_quiet_hours(make_bot)
    await until(lambda: deferred(shared), what="the welcome deferred")
    assert not sent_to(shared, WA_ID, text="Welcome aboard")
    later(shared, 61 * 60)
    await until(lambda: sent_to(shared, WA_ID, text="Welcome aboard"), what="the last step")
    await shared.bot.settle()
    step = (await sequence_report(shared))["steps"][0]
    assert step["counts"]["queued"] == 1 and step["skipped"]["ended"] == 0


async def test_unenrolling_before_a_deferred_last_step_stops_it(make_bot: BotFactory) -> None:
    shared = await one_step_drip_in_quiet_hours(make_bot)
    await until(lambda: deferred(shared), what="the welcome deferred")
    gone = await shared.call("support", "DELETE", f"/v1/sequences/welcome/enrolments/wa:{WA_ID}")
    assert gone.status == 200, gone.raw
    assert gone.json["stopped"] is True, gone.raw
    later(shared, 61 * 60)

    async def ended() -> bool:
        step = (await sequence_report(shared))["steps"][0]
        return bool(step["skipped"]["ended"] == 1)

    await until(ended, what="the deferred step counted ended")
    assert not sent_to(shared, WA_ID, text="Welcome aboard")
