"""A media card carousel template or a limited-time offer template, sent with its
``components`` in the Cloud API's shape (a ``carousel`` component with its ``cards``, a
``limited_time_offer`` component), was a 400 "each an object of type header, body,
button": docs/api.md takes components in the Cloud API's shape, and Meta documents both.
The parameters inside a carousel's cards are held to the rules of any other."""

from __future__ import annotations

from typing import Any

from tests.conftest import BotFactory
from tests.emulators.graph_api import GraphAPIEmulator
from tests.test_api import shared_number


def _carousel(card_text: str) -> dict[str, Any]:
    card = {
        "card_index": 0,
        "components": [
            {
                "type": "header",
                "parameters": [{"type": "image", "image": {"link": "https://example.com/a.png"}}],
            },
            {"type": "body", "parameters": [{"type": "text", "text": card_text}]},
            {
                "type": "button",
                "sub_type": "quick_reply",
                "index": "0",
                "parameters": [{"type": "payload", "payload": "more-0"}],
            },
        ],
    }
    components = [
        {"type": "body", "parameters": [{"type": "text", "text": "Ann"}]},
        {"type": "carousel", "cards": [card]},
    ]
    return {"template": {"name": "summer_cards", "language": "en_US", "components": components}}


async def template_sent(graph: GraphAPIEmulator) -> dict[str, Any]:
    """The ``template`` object of the first template the Graph API took."""
    n = 1
    while True:
        templates = [m for m in await graph.wait_for_sent(n) if m.type == "template"]
        if templates:
            return dict(templates[0].body["template"])
        n += 1


LIMITED_TIME_OFFER = {
    "template": {
        "name": "flash_sale",
        "language": "en_US",
        "components": [
            {
                "type": "limited_time_offer",
                "parameters": [
                    {
                        "type": "limited_time_offer",
                        "limited_time_offer": {"expiration_time_ms": 1893456000000},
                    }
                ],
            },
            {
                "type": "button",
                "sub_type": "copy_code",
                "index": "0",
                "parameters": [{"type": "coupon_code", "coupon_code": "SUMMER25"}],
            },
        ],
    }
}


async def test_a_carousel_template_is_sent_as_given(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    body = _carousel("Sandals, 20% off")
    answer = await shared.call("support", "POST", shared.path("messages"), body)
    assert answer.status == 201, answer.raw
    assert (await template_sent(shared.graph))["components"] == body["template"]["components"]


async def test_a_limited_time_offer_template_is_sent_as_given(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    answer = await shared.call("support", "POST", shared.path("messages"), LIMITED_TIME_OFFER)
    assert answer.status == 201, answer.raw
    assert await template_sent(shared.graph) == {
        "name": "flash_sale",
        "language": {"code": "en_US"},
        "components": LIMITED_TIME_OFFER["template"]["components"],
    }


async def test_a_card_s_text_meta_would_refuse_is_a_400(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    answer = await shared.call("support", "POST", shared.path("messages"), _carousel("a\nb"))
    assert answer.status == 400, answer.raw
    assert "parameters" in answer.error
    await shared.bot.settle()
    assert [m for m in shared.graph.sent if m.type == "template"] == []
