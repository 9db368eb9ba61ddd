"""A campaign's stop ``reason`` took direction controls and text that shows nothing
(``"\\u2066rtl\\u2069"``, a zero-width space alone): the reason is shown in
``/notify report`` and ``admin notify-report`` ("stopped by …: <reason>"), where an
override turns the rest of the line around, and an invisible one says nothing. docs/api.md
refuses the same in an ``agent`` or a note's ``author``; a reason is refused alike."""

from __future__ import annotations

import time

import pytest

from tests.conftest import BotFactory
from tests.test_notifications import campaign, report, setup


@pytest.mark.parametrize(
    ("reason", "said"),
    [
        ("\u2066rtl\u2069", "direction control"),
        ("price \u202eis wrong", "direction control"),
        ("\u200b", "shows nothing"),
        ("\u3164\u200b", "shows nothing"),
    ],
)
async def test_a_reason_that_reads_wrong_is_refused(
    make_bot: BotFactory, reason: str, said: str
) -> None:
    shared = await setup(make_bot)
    later = time.time() + 3600
    body = {"number": shared.number, "text": "Later", "audience": {"topic": "offers"}, "at": later}
    nid = await campaign(shared, body)
    path = f"/v1/notifications/{nid}/stop"
    answer = await shared.call("support", "POST", path, {"reason": reason})
    assert answer.status == 400, answer.raw
    assert said in answer.error
    assert (await report(shared, nid))["status"] == "scheduled"
