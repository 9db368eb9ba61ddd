"""Workflow-triggered messages (AU-3): rules from the config matched by a service's event,
the template's variables filled from the event and the profile, idempotent events, and
only the parent may post them (SN-6)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from bot.config.base import ConfigError
from bot.config.notifications import workflow_rules
from handlers.workflows import event_context, fill, matching_rules
from tests.conftest import BotFactory
from tests.test_api import WA_ID, Shared
from tests.test_notifications import Person, seed, setup, until

RULES = workflow_rules(
    [
        {
            "on": "ticket.created",
            "when": {"priority": ["high", "urgent"]},
            "send": {
                "template": {
                    "name": "ticket_opened",
                    "language": "en",
                    "category": "utility",
                    "variables": ["{ticket.id}", "{profile.name|there}"],
                }
            },
        },
        {"on": "ticket.*", "send": {"text": "Ticket {ticket.id}: {event.type}"}},
        {"on": "order.shipped", "number": "wa:1", "send": {"text": "Shipped"}},
        {
            "on": "offer.ready",
            "topic": "offers",
            "send": {
                "template": {
                    "name": "offer",
                    "category": "marketing",
                    "variables": ["{offer.code}"],
                }
            },
        },
    ]
)


def test_rules_match_by_type_wildcard_number_and_values() -> None:
    high = event_context("ticket.created", "wa:9", {"id": 42, "priority": "high"})
    assert [i for i, _ in matching_rules(RULES, "ticket.created", "wa:9", high)] == [0, 1]
    low = event_context("ticket.created", "wa:9", {"id": 42, "priority": "low"})
    assert [i for i, _ in matching_rules(RULES, "ticket.created", "wa:9", low)] == [1]
    closed = event_context("ticket.closed", "wa:9", {"id": 42})
    assert [i for i, _ in matching_rules(RULES, "ticket.closed", "wa:9", closed)] == [1]
    shipped = event_context("order.shipped", "wa:9", {})
    assert matching_rules(RULES, "order.shipped", "wa:9", shipped) == []
    assert len(matching_rules(RULES, "order.shipped", "wa:1", shipped)) == 1


def test_placeholders_are_filled_from_the_event_and_kept_for_the_profile() -> None:
    data = {"ticket": {"id": 7, "tags": ["a", "b"]}, "urgent": True}
    context = event_context("ticket.created", "wa:9", data, "evt-1")
    assert fill("{ticket.id} {ticket.tags.1} {urgent} {event.id}", context) == (
        "7 b true evt-1",
        [],
    )
    assert fill("{profile.name} #{ticket.id}", context, keep=("profile",)) == (
        "{profile.name} #7",
        [],
    )
    assert fill("{nope}|{nope|x}", context) == ("|x", ["nope"])
    flat = event_context("ticket.created", "wa:9", {"id": 9})
    assert fill("{ticket.id}={id}={data.id}", flat)[0] == "9=9=9"


@pytest.mark.parametrize(
    "bad",
    [
        [{"send": {"text": "x"}}],
        [{"on": "a", "send": {}}],
        [{"on": "a", "when": "x", "send": {"text": "x"}}],
        [{"on": "a", "send": {"template": {"name": "Bad Name", "category": "utility"}}}],
        [{"on": "a", "send": {"template": {"name": "ok", "category": "promo"}}}],
        {"on": "a"},
    ],
)
def test_bad_workflow_rules_stop_the_start(bad: Any) -> None:
    with pytest.raises(ConfigError):
        workflow_rules(bad)


async def trigger(shared: Shared, body: dict[str, Any], caller: str = "support") -> Any:
    answer = await shared.call(caller, "POST", "/v1/events", {"number": shared.number} | body)
    assert answer.status == 202, answer.raw
    return answer.json


async def test_an_event_sends_the_matching_rules_messages_filled_in(make_bot: BotFactory) -> None:
    shared = await setup(make_bot, workflows=RULES)
    await shared.bot.runtime.profiles.update(
        await shared.bot.runtime.profile_book.find(f"wa:{WA_ID}"), {"name": "Ann"}
    )
    event = {
        "type": "ticket.created",
        "phone": "+44 7911 123456",
        "data": {"id": 42, "priority": "urgent"},
    }
    answer = await trigger(shared, event)
    assert answer["accepted"] is True and answer["matched_rules"] == 2
    assert len(answer["sent"]) == 2 and answer["skipped"] == []
    await shared.graph.wait_for_sent(3)
    template = next(m for m in shared.graph.sent if m.type == "template")
    assert template.to == WA_ID
    assert template.body["template"] == {
        "name": "ticket_opened",
        "language": {"code": "en"},
        "components": [
            {
                "type": "body",
                "parameters": [{"type": "text", "text": "42"}, {"type": "text", "text": "Ann"}],
            }
        ],
    }
    assert "Ticket 42: ticket.created" in shared.texts_sent()
    low = await trigger(shared, {**event, "data": {"id": 43, "priority": "low"}})
    assert low["matched_rules"] == 1 and len(low["sent"]) == 1
    none = await trigger(shared, {"type": "invoice.paid", "phone": "+447911123456"})
    assert none == {
        "accepted": True,
        "matched_rules": 0,
        "sent": [],
        "skipped": [],
        "deferred": 0,
        "notifications": [],
    }


async def test_an_event_with_an_id_is_sent_once_however_often_posted(
    make_bot: BotFactory,
) -> None:
    shared = await setup(make_bot, workflows=RULES)
    event = {
        "type": "ticket.created",
        "id": "zendesk-9001",
        "conversation": shared.conversation,
        "data": {"id": 9001, "priority": "high"},
    }
    first = await trigger(shared, event)
    again = await trigger(shared, event)
    assert len(first["sent"]) == 2
    assert sorted(again["sent"]) == sorted(first["sent"])
    assert again["notifications"] == first["notifications"]
    await shared.bot.settle()
    await until(lambda: len(shared.graph.sent) >= 3)
    await shared.bot.settle()
    assert len(shared.graph.sent) == 3  # the welcome, the template and the text


async def test_customers_are_resolved_and_skipped_for_their_reasons(make_bot: BotFactory) -> None:
    shared = await setup(make_bot, workflows=RULES)
    runtime = shared.bot.runtime
    stranger = await trigger(
        shared,
        {"type": "ticket.created", "phone": "07400 555002", "data": {"id": 5, "priority": "high"}},
    )
    # Nobody has that phone: the template goes to it (there), the text cannot (no window).
    assert len(stranger["sent"]) == 1 and stranger["skipped"] == ["outside_window_no_template"]
    await until(lambda: any(m.to == "447400555002" for m in shared.graph.sent))
    bad = await trigger(
        shared, {"type": "ticket.created", "phone": "+44 7700 900123", "data": {"id": 1}}
    )
    assert bad["skipped"] == ["invalid_number"]
    missing = await trigger(shared, {"type": "ticket.created", "phone": "+447911123456"})
    assert missing["skipped"] == ["missing_variable"]
    (pid,) = await seed(
        runtime, shared.number, [Person("447911600001", {"topics_off": "offers"}, time.time())]
    )
    offer = await trigger(shared, {"type": "offer.ready", "profile": pid, "data": {"code": "X"}})
    assert offer["skipped"] == ["topic_conflict"]
    no_consent = await trigger(
        shared, {"type": "offer.ready", "profile": "wa:447911123456", "data": {"code": "X"}}
    )
    assert no_consent["skipped"] == ["no_consent"]
    for body in (
        {"type": "ticket.created", "data": {"id": 1}},  # nobody named
        {"type": "ticket.created", "phone": "+447911123456", "profile": pid},
        {"type": "ticket.created", "data": "x"},
        {"type": "ticket.created", "profile": "fax:1"},
    ):
        answer = await shared.call(
            "support", "POST", "/v1/events", {"number": shared.number} | body
        )
        assert answer.status == 400, (body, answer.raw)
    other = await shared.call(
        "support",
        "POST",
        "/v1/events",
        {"number": shared.number, "type": "ticket.created", "conversation": "c_00"},
    )
    assert other.status == 404


async def test_only_the_parent_triggers_workflows(make_bot: BotFactory) -> None:
    shared = await setup(make_bot, workflows=RULES)
    event = {"number": shared.number, "type": "ticket.created", "phone": "+447911123456"}
    for name in ("sales", "marketing"):
        answer = await shared.call(name, "POST", "/v1/events", event | {"data": {"id": 1}})
        assert answer.status == 403
        assert "'support'" in answer.error and "parent" in answer.error
    await shared.bot.settle()
    assert shared.texts_sent() == ["Support here, how can we help?"]
