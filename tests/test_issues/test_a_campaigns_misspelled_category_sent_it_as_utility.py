"""The campaign form of ``POST /v1/notifications`` left out fields it does not know, and
took a ``category`` of the wrong type as ``utility``: ``"catgory": "marketing"`` or
``"category": false`` made a marketing campaign go out as utility, skipping the consent
check. A filter's ``equals`` took control characters too. Each is a 400 now."""

from __future__ import annotations

from tests.conftest import BotFactory
from tests.test_notifications import setup


async def test_a_campaign_body_is_read_strictly(make_bot: BotFactory) -> None:
    shared = await setup(make_bot)
    base = {
        "number": shared.number,
        "text": "20% off",
        "audience": {"filter": {"field": "city", "equals": "Leeds"}},
        "draft": True,
    }
    for bad, said in (
        ({"catgory": "marketing"}, "unknown field(s) catgory"),
        ({"category": False}, "'category' is one of"),
        ({"category": 0}, "'category' is one of"),
        ({"category": []}, "'category' is one of"),
        ({"audience": {"filter": {"field": "city", "equals": "\u001b[31m"}}}, "control"),
    ):
        answer = await shared.call("support", "POST", "/v1/notifications", {**base, **bad})
        assert answer.status == 400, (bad, answer.json)
        assert said in answer.error, (bad, answer.error)
    good = await shared.call(
        "support", "POST", "/v1/notifications", {**base, "category": "marketing"}
    )
    assert good.status == 202, good.json
