"""The wait of a drip's next step counted from when the step before was claimed, not
from when it went. A welcome claimed at 20:30 in quiet hours (21:00-08:00 for the
customer) went at 08:00 the next morning, and a follow-up with ``wait: 12h`` came due at
08:30 that day, half an hour after the welcome instead of twelve hours.

What must hold: when quiet hours defer a step, the next step is due its wait after the
end of the deferral, when the step goes."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.config.notifications import NotificationSettings, QuietHours
from tests.conftest import BotFactory
from tests.test_api import WA_ID, shared_number
from tests.test_notifications import until
from tests.test_sequences import DAY, drip, later, sent_to, sequence_report


async def test_the_next_step_waits_from_when_a_deferred_step_goes(make_bot: BotFactory) -> None:
    now = datetime.now(UTC)
    minute = now.hour * 60 + now.minute
    quiet = QuietHours((minute - 60) % 1440, (minute + 60) % 1440)
    shared = await shared_number(
        make_bot,
        notifications=NotificationSettings(quiet_hours=quiet),
        sequences=drip({"first_contact": True}),
    )
    notifications = shared.bot.runtime.outreach.notifications

    async def deferred_until() -> float | None:
        step = (await sequence_report(shared))["steps"][0]
        if step["counts"]["deferred"] != 1:
            return None
        runs = (await notifications.report(step["notification"]))["runs"]
        found: float | None = runs[0]["deferred_until"]
        return found

    until_at = await until(deferred_until, what="the welcome deferred")
    sequences = shared.bot.runtime.outreach.sequences
    profile = (await sequences.enrolment("welcome", f"p:wa:{WA_ID}") or {})["member"]
    due_key = shared.bot.runtime.keys.sequence("welcome", "due")
    due = await shared.bot.runtime.redis.zscore(due_key, profile)
    assert due is not None and abs(due - (until_at + 3 * DAY)) < 1, (due, until_at)

    later(shared, until_at - now.timestamp() + 60)
    await until(lambda: sent_to(shared, WA_ID, text="Welcome aboard"), what="day 0 at last")
    later(shared, until_at - now.timestamp() + 3 * DAY + 120)
    await until(lambda: sent_to(shared, WA_ID, "drip_follow_up"), what="the follow-up")
