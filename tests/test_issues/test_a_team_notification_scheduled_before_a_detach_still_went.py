"""A notification the team scheduled (``/notify ... at=``) went out when it came due, though
the team had been detached from the number since (``/detach team <number>``): the team's
notifications there are refused, and a campaign's run stops when its service may no
longer send. The run is now set aside, saying why, and nothing of it goes."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from tests.test_issues.test_notify_sent_on_a_number_the_team_was_detached_from import (
    texts_to_customer,
)
from tests.test_team_commands import ADMIN
from tests.test_telegram_runtime import CUSTOMER, TelegramBot, tg, wait_until_processed

__all__ = ["tg"]

NEXT_YEAR = datetime.now(UTC).year + 1
"""A new year's morning to come, whatever the year the test runs in."""


async def test_a_team_run_due_after_the_detach_is_set_aside(tg: TelegramBot) -> None:
    runtime, number, cid = tg.bot.runtime, tg.number, tg.conversation()
    tg.api.customer_text(CUSTOMER, "hi from telegram")
    await wait_until_processed(tg, CUSTOMER, 1)
    scheduled = await runtime.commands.run(
        ADMIN, f"/notify {number} conversations={cid} at={NEXT_YEAR}-01-01T09:00 Happy new year"
    )
    found = re.search(r"ntf_\w+", scheduled)
    assert found, scheduled
    await runtime.directory.store.detach(number, "team")
    due = int(datetime(NEXT_YEAR, 1, 1, 9, 0, tzinfo=UTC).timestamp())
    runs = runtime.outreach.notifications.runs
    result = await runs.execute(found.group(0), due, clock=lambda: due + 1)
    assert result.done and f"the team is not attached to {number}" in result.refused
    assert not result.sent
    await runtime.directory.store.attach(number, "team")
    report = await runtime.commands.run(ADMIN, f"/notify report {found.group(0)}")
    assert report.startswith(f"{found.group(0)} ({number}): failed"), report
    assert "Happy new year" not in texts_to_customer(tg)
