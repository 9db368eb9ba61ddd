"""A customer who deleted a message they had sent (Meta's ``revoke`` webhook, for a
number shared with the WhatsApp Business app) got the automation's answer, "Thanks for
your message!", as if they had written again. A deletion is the customer's notice, as
WhatsApp's change of number is: kept and told to the services (with the id of the message
deleted), and that is all."""

from __future__ import annotations

import time
from dataclasses import replace

from tests.conftest import AUTOMATION, BotFactory
from tests.emulators import meta_webhooks as meta

FALLBACK = "Thanks! Someone will get back to you."
CUSTOMER = "447700900402"


async def test_a_deleted_message_gets_no_answer(make_bot: BotFactory) -> None:
    bot = await make_bot(automation=replace(AUTOMATION, fallback=FALLBACK))
    graph, sink = bot.graph, bot.sinks["support"]
    assert graph is not None
    first = meta.text_message(bot.phone_number_id, CUSTOMER, "my card is 4111 1111")
    original = first["entry"][0]["changes"][0]["value"]["messages"][0]["id"]
    await bot.post_whatsapp(first)
    await graph.wait_for_sent(1)
    revoke = {
        "from": CUSTOMER,
        "id": meta.new_message_id(),
        "timestamp": str(int(time.time())),
        "type": "revoke",
        "revoke": {"original_message_id": original},
    }
    answer = await bot.post_whatsapp(meta.raw_message(bot.phone_number_id, CUSTOMER, revoke))
    assert answer.status == 200
    await sink.wait_for_count(2, type="message.inbound")
    await bot.settle()
    assert [s.text for s in graph.sent] == ["Welcome! How can we help?"]
    told = sink.events("message.inbound")[1]["data"]["message"]
    assert told["provider_type"] == "revoke"
    assert told["provider_content"] == {"revoke": {"original_message_id": original}}
