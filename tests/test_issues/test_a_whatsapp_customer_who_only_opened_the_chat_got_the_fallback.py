"""With WhatsApp's welcome messages on, Meta posts ``request_welcome`` when a customer
opens the chat with the number: on their first visit, after they deleted the chat, and
for every customer of before the day the feature was turned on. It is no message of the
customer's, but the automation answered it as one: a known customer who only opened the
chat got the fallback ("Thanks! Someone from our team will get back to you soon"), and
a new one with no welcome configured too. Now only a first contact's welcome (or the
away message) answers it; the services are still told of it."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

from tests.conftest import AUTOMATION, BotFactory
from tests.emulators import meta_webhooks as meta

FALLBACK = "Thanks! Someone from our team will get back to you soon."
CUSTOMER = "447700900403"


def _opened(phone_number_id: str, wa_id: str) -> dict[str, Any]:
    message = {
        "from": wa_id,
        "id": meta.new_message_id(),
        "timestamp": str(int(time.time())),
        "type": "request_welcome",
    }
    return meta.raw_message(phone_number_id, wa_id, message)


async def test_a_known_customer_opening_the_chat_gets_no_answer(make_bot: BotFactory) -> None:
    bot = await make_bot(automation=replace(AUTOMATION, fallback=FALLBACK, reply_interval=0))
    graph, sink = bot.graph, bot.sinks["support"]
    assert graph is not None
    await bot.post_whatsapp(meta.text_message(bot.phone_number_id, CUSTOMER, "hours?"))
    await graph.wait_for_sent(2)  # the welcome and the rule's answer
    answer = await bot.post_whatsapp(_opened(bot.phone_number_id, CUSTOMER))
    assert answer.status == 200
    await sink.wait_for_count(2, type="message.inbound")
    await bot.settle()
    assert [s.text for s in graph.sent] == ["Welcome! How can we help?", "We open at 9."]
    told = sink.events("message.inbound")[1]["data"]["message"]
    assert told["provider_type"] == "request_welcome"
    # The customer's next words are answered as ever.
    await bot.post_whatsapp(meta.text_message(bot.phone_number_id, CUSTOMER, "price?"))
    await graph.wait_for_sent(3)
    assert graph.sent[2].text == "Plans start at 9 a month."


async def test_a_new_customer_opening_the_chat_gets_the_welcome(make_bot: BotFactory) -> None:
    bot = await make_bot(automation=replace(AUTOMATION, fallback=FALLBACK))
    graph = bot.graph
    assert graph is not None
    await bot.post_whatsapp(_opened(bot.phone_number_id, CUSTOMER))
    (sent,) = await graph.wait_for_sent(1)
    assert sent.text == "Welcome! How can we help?"


async def test_without_a_welcome_opening_the_chat_gets_no_fallback(make_bot: BotFactory) -> None:
    bot = await make_bot(automation=replace(AUTOMATION, welcome="", fallback=FALLBACK))
    graph, sink = bot.graph, bot.sinks["support"]
    assert graph is not None
    await bot.post_whatsapp(_opened(bot.phone_number_id, CUSTOMER))
    await sink.wait_for_count(1, type="message.inbound")
    await bot.settle()
    assert graph.sent == []
