"""WhatsApp refuses a template's text parameter with a new line, a tab or more than 4
spaces in a row (error 132018). A campaign created with such a variable was taken, then
failed recipient by recipient at Meta; a reply's template with 5 spaces the same. Now
both are refused when they are made, and a value filled in per recipient (a profile
field typed with a run of spaces) goes with each run of white space made one space."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import BotFactory
from tests.test_notifications import Person, campaign, finished, seed, setup, until
from tests.test_workflows import RULES

CUSTOMER = "447911800123"


@pytest.mark.parametrize("variable", ["A-1042\ton its way", "line\nbreak", "five     spaces"])
async def test_a_campaign_with_a_variable_whatsapp_refuses_is_a_400(
    make_bot: BotFactory, variable: str
) -> None:
    shared = await setup(make_bot)
    body = {
        "number": shared.number,
        "template": {
            "name": "order_update",
            "language": "en",
            "category": "utility",
            "variables": [variable],
        },
        "audience": {"conversations": [shared.conversation]},
    }
    answer = await shared.call("support", "POST", "/v1/notifications", body)
    assert answer.status == 400, answer.raw
    assert "more than 4 spaces in a row" in answer.json["error"]


async def test_a_reply_s_template_with_five_spaces_is_a_400(make_bot: BotFactory) -> None:
    shared = await setup(make_bot)
    template = {"name": "order_update", "language": "en_US", "variables": ["a     b"]}
    answer = await shared.call(
        "support",
        "POST",
        f"/v1/conversations/{shared.conversation}/messages",
        {"template": template},
    )
    assert answer.status == 400, answer.raw
    assert "more than 4 spaces in a row" in answer.json["error"]


async def test_a_profile_value_with_a_run_of_spaces_goes_as_one_space(
    make_bot: BotFactory,
) -> None:
    shared = await setup(make_bot)
    await seed(
        shared.bot.runtime,
        shared.number,
        [Person(CUSTOMER, fields={"city": "Leeds     West"}, wrote_at=1.0)],
    )
    body: dict[str, Any] = {
        "number": shared.number,
        "template": {
            "name": "order_update",
            "language": "en",
            "category": "utility",
            "variables": ["{profile.city}"],
        },
        "audience": {"profiles": [f"wa:{CUSTOMER}"]},
    }
    nid = await campaign(shared, body)
    assert (await finished(shared, nid))["counts"]["sent"] == 1
    [sent] = [m for m in shared.graph.sent if m.to == CUSTOMER]
    [component] = sent.body["template"]["components"]
    assert component["parameters"] == [{"type": "text", "text": "Leeds West"}]


async def test_an_event_s_value_with_a_run_of_spaces_goes_as_one_space(
    make_bot: BotFactory,
) -> None:
    """Before, the value went as it came, and Meta refused the send (132018)."""
    shared = await setup(make_bot, workflows=RULES)
    event = {
        "number": shared.number,
        "type": "ticket.created",
        "phone": "+44 7911 123456",
        "data": {"id": "T-42      (urgent)", "priority": "urgent"},
    }
    answer = await shared.call("support", "POST", "/v1/events", event)
    assert answer.status == 202, answer.raw
    assert len(answer.json["sent"]) == 2, answer.json

    async def template_sent() -> list[Any]:
        return [m for m in shared.graph.sent if m.type == "template"]

    [template] = await until(template_sent, what="the template")
    [component] = template.body["template"]["components"]
    assert component["parameters"][0] == {"type": "text", "text": "T-42 (urgent)"}
