"""A WhatsApp message of a type the bot does not read (an order from the catalogue, a
system notice that the customer changed number, a flow's answer) reached the services as
``{"kind": "unsupported", "provider_type": "order"}`` and nothing else: a shop never saw
the order. Its content goes with it now, in WhatsApp's own words."""

from __future__ import annotations

import time
from typing import Any

from tests.conftest import BotFactory
from tests.emulators import meta_webhooks as meta
from tests.test_openapi import Contract, load

ANN = "447700900901"
ORDER = {
    "catalog_id": "1234567890",
    "text": "for Friday please",
    "product_items": [
        {"product_retailer_id": "SKU-1", "quantity": 2, "item_price": 9.5, "currency": "EUR"}
    ],
}


def _typed(bot_number: str, kind: str, content: dict[str, Any]) -> dict[str, Any]:
    message = {"from": ANN, "id": meta.new_message_id(), "timestamp": str(int(time.time()))}
    return meta.raw_message(bot_number, ANN, message | {"type": kind, kind: content})


async def test_an_order_reaches_the_services_whole(make_bot: BotFactory) -> None:
    bot = await make_bot()
    sink = bot.sinks["support"]
    await bot.post_whatsapp(_typed(bot.phone_number_id, "order", ORDER))
    system = {
        "body": "Ann changed her number",
        "wa_id": "447700900902",
        "type": "user_changed_number",
    }
    await bot.post_whatsapp(_typed(bot.phone_number_id, "system", system))
    await sink.wait_for_count(2, type="message.inbound")
    messages = [event["data"]["message"] for event in sink.events("message.inbound")]
    by_type = {message["provider_type"]: message for message in messages}
    assert by_type["order"]["kind"] == "unsupported"
    assert by_type["order"]["provider_content"] == {"order": ORDER}
    assert by_type["system"]["provider_content"] == {"system": system}
    contract = Contract(load())
    for event in sink.events("message.inbound"):
        contract.check(event, "/components/schemas/Event")
