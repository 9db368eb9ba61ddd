"""``POST /v1/notifications/{id}/test`` and ``POST /v1/sequences/{name}/enrolments`` took
fields they do not know, where the rest of the API refuses them: a test with
``{"memebrs": ["sam"]}`` for ``members`` went to every team member who has a phone, and
an enrolment with ``"agian": true`` was answered as if ``again`` had been left out. Both
answer 400 naming the field now, and do nothing."""

from __future__ import annotations

from bot.config.settings import TeamMember
from tests.conftest import BotFactory
from tests.test_api import shared_number
from tests.test_notifications import NO_QUIET
from tests.test_sequences import drip

TEAM = (
    TeamMember("sam@example.com", "Sam", "agent", phone="+447911400001"),
    TeamMember("kim@example.com", "Kim", "agent", phone="+447911400002"),
)


async def test_a_misspelled_field_is_refused(make_bot: BotFactory) -> None:
    shared = await shared_number(
        make_bot, notifications=NO_QUIET, sequences=drip({"workflow": "signup"}), team=TEAM
    )
    draft = {"number": shared.number, "text": "Hi", "audience": {"topic": "news"}, "draft": True}
    created = await shared.call("support", "POST", "/v1/notifications", draft)
    nid = created.json["notification"]["id"]
    sent_before = len(shared.graph.sent)
    tested = await shared.call(
        "support", "POST", f"/v1/notifications/{nid}/test", {"memebrs": ["sam"]}
    )
    assert tested.status == 400 and "memebrs" in tested.error, tested.raw
    assert len(shared.graph.sent) == sent_before

    enrol = {"phone": "+447911400003", "agian": True}
    answer = await shared.call("support", "POST", "/v1/sequences/welcome/enrolments", enrol)
    assert answer.status == 400 and "agian" in answer.error, answer.raw
    report = await shared.call("support", "GET", "/v1/sequences/welcome")
    assert report.json["sequence"]["enrolments"]["enrolled"] == 0
