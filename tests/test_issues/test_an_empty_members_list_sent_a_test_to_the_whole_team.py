"""``POST /v1/notifications/{id}/test`` with ``{"members": []}`` (a script's selection of
team members, empty) went to every team member who has a phone, as ``{}`` does, where an
empty ``"to": []`` is refused. An empty ``members`` is now a 400 as well, and nothing is
sent; ``{}`` still goes to the team."""

from __future__ import annotations

from tests.conftest import BotFactory
from tests.test_api import shared_number
from tests.test_issues.test_a_misspelled_field_sent_a_test_to_the_whole_team import TEAM
from tests.test_notifications import NO_QUIET


async def test_an_empty_members_list_is_refused(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot, notifications=NO_QUIET, team=TEAM)
    draft = {"number": shared.number, "text": "Hi", "audience": {"topic": "news"}, "draft": True}
    created = await shared.call("support", "POST", "/v1/notifications", draft)
    nid = created.json["notification"]["id"]
    path = f"/v1/notifications/{nid}/test"
    sent_before = len(shared.graph.sent)
    tested = await shared.call("support", "POST", path, {"members": []})
    assert tested.status == 400 and "members" in tested.error, tested.raw
    assert len(shared.graph.sent) == sent_before

    tested = await shared.call("support", "POST", path, {})
    assert tested.status == 202 and len(tested.json["test"]["sends"]) == 2, tested.raw
