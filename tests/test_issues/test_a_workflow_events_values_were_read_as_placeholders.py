"""A workflow event's values were filled into the rule's text, and the text was filled
again for each recipient: a value with braces ("Error {code} on checkout") made the
message skipped as ``missing_variable`` with nothing said, and ``{profile.name}`` in an
event's data read the recipient's profile into the text. A value goes in as it is."""

from __future__ import annotations

from handlers.workflows import event_context, fill
from tests.conftest import BotFactory
from tests.test_api import WA_ID
from tests.test_notifications import setup, until
from tests.test_workflows import RULES, trigger


async def test_an_events_values_go_in_as_they_are(make_bot: BotFactory) -> None:
    shared = await setup(make_bot, workflows=RULES)
    await shared.bot.runtime.profiles.update(
        await shared.bot.runtime.profile_book.find(f"wa:{WA_ID}"), {"name": "Ann"}
    )
    for value in ("Error {code} on checkout", "{profile.name}", "a {b|c} d"):
        event = {"type": "ticket.updated", "phone": "+447911123456", "data": {"id": value}}
        answer = await trigger(shared, event)
        assert answer["skipped"] == [] and len(answer["sent"]) == 1, (value, answer)
        expected = f"Ticket {value}: ticket.updated"
        await until(lambda e=expected: e in shared.texts_sent(), what=expected)
    assert not any("Ann" in (text or "") for text in shared.texts_sent())
    urgent = {"id": "Error {code}", "priority": "urgent"}
    await trigger(shared, {"type": "ticket.created", "phone": "+447911123456", "data": urgent})

    def variables() -> list[list[str]]:
        return [
            [p["text"] for p in m.body["template"]["components"][0]["parameters"]]
            for m in shared.graph.sent
            if m.type == "template"
        ]

    await until(variables, what="the template")
    assert variables() == [["Error {code}", "Ann"]]


def test_a_filled_value_is_not_filled_again() -> None:
    context = event_context("ticket.updated", "wa:1", {"id": "{profile.name}"})
    held, missing = fill("Ticket {ticket.id} for {profile.name|you}", context, keep=["profile"])
    assert missing == []
    final, missing = fill(held, {"profile": {"name": "Ann"}})
    assert (final, missing) == ("Ticket {profile.name} for Ann", [])


async def test_the_report_shows_an_events_braces_as_sent(make_bot: BotFactory) -> None:
    shared = await setup(make_bot, workflows=RULES)
    urgent = {"id": "Error {code}", "priority": "urgent"}
    event = {"type": "ticket.created", "phone": "+447911123456", "data": urgent}
    answer = await trigger(shared, event)
    shown = []
    for nid in answer["notifications"]:
        report = await shared.call("support", "GET", f"/v1/notifications/{nid}")
        assert report.status == 200, report.json
        shown.append(report.raw.decode())
    assert any("Error {code}" in raw for raw in shown), shown
    assert not any("\\ufdd0" in raw or "\ufdd0" in raw for raw in shown), shown
