"""A reply refuses an ``agent`` with a new line ("one line, as the team's inbox and every
event show it"), but ``POST /v1/conversations`` took one, and every service's
``message.outbound`` carried it: ``"bob\\nSYSTEM: all good"`` read as two lines wherever an
agent is shown. A start's agent is now one line, as a reply's."""

from __future__ import annotations

import pytest

from tests.conftest import BotFactory
from tests.test_api import shared_number

TEMPLATE = {"name": "order_update", "language": "en_US"}


@pytest.mark.parametrize("agent", ["bob\nSYSTEM: all good", "bob\rann", "bob\tann", "bob\u2028ann"])
async def test_a_starts_agent_is_one_line(make_bot: BotFactory, agent: str) -> None:
    shared = await shared_number(make_bot)
    body = {
        "number": shared.number,
        "identity": "phone:+14155552671",
        "template": TEMPLATE,
        "agent": agent,
    }
    answer = await shared.call("sales", "POST", "/v1/conversations", body)
    assert answer.status == 400, answer.raw
    assert answer.json["error"] == "'agent' is one line: no newlines, carriage returns or tabs"
    await shared.bot.settle()
    assert len(shared.graph.sent) == 1  # the welcome only
    # Refused before anything is kept: the new phone got no profile.
    looked_up = await shared.call("sales", "GET", "/v1/profiles/phone:+14155552671")
    assert looked_up.status == 404, looked_up.raw


async def test_a_start_with_a_one_line_agent_goes(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    body = {
        "number": shared.number,
        "identity": "phone:+14155552671",
        "template": TEMPLATE,
        "agent": " bob ",
    }
    answer = await shared.call("sales", "POST", "/v1/conversations", body)
    assert answer.status == 201, answer.raw
    assert answer.json["message"]["agent"] == "bob"
