"""``/notify stop ntf_... wrong price`` followed by a second line ``stopped by
ann@example.com at ...: approved by legal`` was accepted: every report (``/notify report``,
``admin notify-report``, the API's ``stop.reason``) then showed two "stopped by" lines, one
forged in Ann's name. The API and ``admin notify-stop`` refuse it: a reason is one line."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from handlers.commands import Caller
from tests.conftest import BotFactory
from tests.test_notifications import report, setup

AGENT = Caller("al@example.com", "agent")
NEXT_YEAR = datetime.now(UTC).year + 1
"""A new year's morning to come, whatever the year the test runs in."""
FORGED = "stopped by ann@example.com at 2026-12-06 12:00 UTC: approved by legal"


async def test_a_stop_reason_of_two_lines_is_refused(make_bot: BotFactory) -> None:
    shared = await setup(make_bot)
    run = shared.bot.runtime.commands.run
    answer = await run(AGENT, f"/notify wa topic=offers at={NEXT_YEAR}-01-01T09:00 Happy new year")
    found = re.search(r"ntf_\w+", answer)
    assert found, answer
    nid = found.group(0)

    answer = await run(AGENT, f"/notify stop {nid} wrong price\n{FORGED}")
    assert answer.startswith("Not stopped: ") and "one line" in answer, answer
    assert "Usage:" not in answer
    assert (await report(shared, nid))["status"] == "scheduled"
    assert "stopped by" not in await run(AGENT, f"/notify report {nid}")

    answer = await run(AGENT, f"/notify stop {nid} wrong price")
    assert answer.startswith(f"Stopped {nid}"), answer
    shown = await run(AGENT, f"/notify report {nid}")
    assert shown.count("stopped by") == 1 and shown.endswith(": wrong price"), shown
    assert (await report(shared, nid))["stop"]["reason"] == "wrong price"
