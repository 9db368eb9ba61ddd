"""``POST /live/api/conversations`` with an ``identity`` (the live view starts with its
own profile) was refused with "leave out profile", naming a field the call had not
sent; the refusal names what was sent."""

from __future__ import annotations

from tests.conftest import BotFactory
from tests.test_api import shared_number
from tests.test_api_live import live, live_token


async def test_the_refusal_names_the_field_sent(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    token = await live_token(shared)
    for field in ("identity", "profile"):
        body = {"number": shared.number, field: "phone:+447911000777", "text": "hi"}
        answer = await live(shared, token, "POST", "/conversations", body)
        assert answer.status == 400
        assert answer.json["error"] == (
            f"the live view writes to its own profile: leave out {field}"
        ), answer.json
