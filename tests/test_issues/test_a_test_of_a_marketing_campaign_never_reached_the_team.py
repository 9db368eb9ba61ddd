"""The README's walk-through drafts a `marketing` campaign, then tests it on the team's
phones. Every test answered ``skipped: no_consent``: a team member's phone has no
profile with a lawful basis for marketing, so the test of any marketing campaign never
reached anyone, from the API, ``/notify test`` or ``admin notify-test``.

What must hold: the test of a marketing campaign reaches the team members' phones, marked
[test]; a number given with ``to`` is still decided as a customer is (no consent: skipped),
and a team member who said STOP is still not sent to."""

from __future__ import annotations

from handlers.commands import Caller
from tests.conftest import BotFactory
from tests.test_notifications import setup, until
from tests.test_notifications_drafts import draft
from tests.test_notifications_follow import TEAM


async def test_the_team_gets_the_test_of_a_marketing_campaign(make_bot: BotFactory) -> None:
    shared = await setup(make_bot, team=TEAM)
    body = {
        "number": shared.number,
        "text": "Hi {profile.name|there}, 20% off",
        "category": "marketing",
        "audience": {"topic": "offers"},
    }
    nid = await draft(shared, body)
    path = f"/v1/notifications/{nid}/test"
    answer = await shared.call("support", "POST", path, {"to": ["+447911123458"]})
    assert answer.status == 202, answer.raw
    assert answer.json["test"]["sends"] == [{"to": "phone:+447911123458", "skipped": "no_consent"}]

    answer = await shared.call("support", "POST", path, {})
    assert answer.status == 202, answer.raw
    (sent,) = answer.json["test"]["sends"]
    assert sent["to"] == "phone:+447911123456" and sent["id"].startswith("tst_"), sent
    said = await shared.bot.runtime.commands.run(
        Caller("ann@example.com", "agent"), f"/notify test {nid}"
    )
    assert "+447911123456: sent as tst_" in said
    await until(
        lambda: len([m for m in shared.graph.sent if "[test]" in str(m.text)]) == 2,
        what="two tests on Ann's phone",
    )
    tests = [(m.to, m.text) for m in shared.graph.sent if "[test]" in str(m.text)]
    assert tests == [("447911123456", "[test] Hi Ann, 20% off")] * 2, tests
