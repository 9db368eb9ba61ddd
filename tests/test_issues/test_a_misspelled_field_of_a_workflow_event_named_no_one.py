"""``POST /v1/events`` and ``POST /v1/profiles/{ref}/merge`` took fields they do not know,
where every other call refuses them: a workflow event with ``phon`` for ``phone`` answered
202, skipped as ``no_channel``, and the customer never got the message. Both now answer 400
naming the field, and nothing is done."""

from __future__ import annotations

from tests.conftest import BotFactory
from tests.test_api import WA_ID, shared_number


async def test_unknown_fields_are_refused_naming_them(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    number = f"wa:{shared.bot.phone_number_id}"
    event = {"type": "ticket.created", "number": number, "phon": f"+{WA_ID}"}
    answer = await shared.call("support", "POST", "/v1/events", event)
    assert answer.status == 400 and "phon" in answer.json["error"], answer.raw
    profile = await shared.bot.runtime.profile_book.find(f"wa:{WA_ID}")
    merge = {"other": "email:ann@example.com", "othr": "x"}
    answer = await shared.call("support", "POST", f"/v1/profiles/{profile}/merge", merge)
    assert answer.status == 400 and "othr" in answer.json["error"], answer.raw
    lookup = await shared.call("support", "GET", f"/v1/profiles/{profile}")
    assert "email:ann@example.com" not in lookup.raw.decode()
