"""A campaign's stop ``reason`` is "one line, up to 300 characters", and refused with
C0 control characters; but a line or paragraph separator (U+2028, U+2029), NEL (U+0085),
DEL and the C1 controls (U+009B, a terminal's CSI) went through, into the report, the
team chat's ``/notify report`` and the CLI's. They are refused with 400 now, as every
other API text's control characters are."""

from __future__ import annotations

import pytest

from tests.conftest import BotFactory
from tests.test_notifications import campaign, report, setup


@pytest.mark.parametrize(
    "reason", ["the price\u2028is wrong", "x\u2029y", "x\x85y", "x\x7f", "\x9b31mred"]
)
async def test_a_stop_reason_is_one_line_without_controls(
    make_bot: BotFactory, reason: str
) -> None:
    shared = await setup(make_bot)
    body = {"number": shared.number, "text": "x", "audience": {"topic": "t"}, "cron": "0 9 * * *"}
    nid = await campaign(shared, body)
    answer = await shared.call(
        "support", "POST", f"/v1/notifications/{nid}/stop", {"reason": reason}
    )
    assert answer.status == 400, answer.raw
    assert answer.json["error"] == "'reason' is one line of text"
    assert (await report(shared, nid))["status"] == "scheduled"


async def test_a_reason_in_any_script_stops_the_campaign(make_bot: BotFactory) -> None:
    shared = await setup(make_bot)
    body = {"number": shared.number, "text": "x", "audience": {"topic": "t"}, "cron": "0 9 * * *"}
    nid = await campaign(shared, body)
    reason = "\u0642\u064a\u0645\u0629 \u062e\u0627\u0637\u0626\u0629 \U0001f4b8"
    answer = await shared.call(
        "support", "POST", f"/v1/notifications/{nid}/stop", {"reason": reason}
    )
    assert answer.status == 200, answer.raw
    assert answer.json["notification"]["stop"]["reason"] == reason
