"""Ten services' ``POST /v1/conversations`` to one new customer at once sent the first
message five to seven times (paid templates on WhatsApp), each answered 201: the check
that the conversation did not exist and its start were not one step. One start wins now;
the others are the 409 that names its conversation (docs/api.md, "Starting a
conversation")."""

from __future__ import annotations

import asyncio

from tests.conftest import BotFactory
from tests.test_api import shared_number
from tests.test_api_starts import NEW_WA_ID, TEMPLATE, start


async def test_ten_starts_at_once_send_one_first_message(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    body = {"number": shared.number, "identity": f"phone:+{NEW_WA_ID}", "template": TEMPLATE}
    answers = await asyncio.gather(*(start(shared, body) for _ in range(30)))
    assert sorted(a.status for a in answers) == [201] + [409] * 29, [a.raw for a in answers]
    cid = shared.bot.conversation(NEW_WA_ID)
    assert all(a.json["conversation_id"] == cid for a in answers if a.status == 409)
    await shared.bot.settle()
    templates = [m for m in shared.graph.sent if m.to == NEW_WA_ID]
    assert len(templates) == 1
    again = await start(shared, body)  # and once it is open, as before
    assert again.status == 409 and again.json["conversation_id"] == cid
