"""A customer's question about a catalog's product (WhatsApp's "Message business" button
of an item, whose message carries ``context.referred_product``) reached the services
without the product: they could not tell which one was meant. The event's message has
``referred_product``, ``<catalog_id>:<product_retailer_id>``."""

from __future__ import annotations

from tests.conftest import PHONE_NUMBER_ID, BotFactory
from tests.emulators import meta_webhooks as meta

WA_ID = "447911000225"


async def test_a_product_question_names_its_product(make_bot: BotFactory) -> None:
    bot = await make_bot()
    payload = meta.text_message(PHONE_NUMBER_ID, WA_ID, "Is this in blue?")
    message = payload["entry"][0]["changes"][0]["value"]["messages"][0]
    message["context"] = {
        "from": "15550783881",
        "id": "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJBRkE1RDIxNkM1RjhEMjg5OAA=",
        "referred_product": {"catalog_id": "1537020263597837", "product_retailer_id": "SKU-1"},
    }
    assert (await bot.post_whatsapp(payload)).status == 200
    await bot.settle()
    sink = bot.sinks["support"]
    await sink.wait_for_count(1, "message.inbound")
    (event,) = sink.events("message.inbound")
    assert event["data"]["message"]["referred_product"] == "1537020263597837:SKU-1"
    broken = meta.text_message(PHONE_NUMBER_ID, WA_ID, "and this?")
    context = {"referred_product": {"catalog_id": ["x"], "product_retailer_id": None}}
    broken["entry"][0]["changes"][0]["value"]["messages"][0]["context"] = context
    assert (await bot.post_whatsapp(broken)).status == 200
    await sink.wait_for_count(2, "message.inbound")
    assert "referred_product" not in sink.events("message.inbound")[-1]["data"]["message"]
