"""A customer's WhatsApp reply to one of the business's messages (Meta's ``context``),
or a forwarded message, reached the services without that: a help desk could not tell
which message the customer answered. The message says it now (``reply_to``, the wamid
a ``message.outbound`` names as its ``provider_id``; ``forwarded``)."""

from __future__ import annotations

from typing import Any

from tests.conftest import BotFactory
from tests.emulators import meta_webhooks as meta
from tests.test_openapi import Contract, load

ANN = "447700900701"


def _with_context(body: dict[str, Any], context: dict[str, Any]) -> dict[str, Any]:
    body["entry"][0]["changes"][0]["value"]["messages"][0]["context"] = context
    return body


async def test_a_reply_and_a_forward_say_so_to_the_services(make_bot: BotFactory) -> None:
    bot = await make_bot()
    graph, sink = bot.graph, bot.sinks["support"]
    assert graph is not None
    await bot.post_whatsapp(meta.text_message(bot.phone_number_id, ANN, "hi"))
    (welcome,) = await graph.wait_for_sent(1)
    answer = meta.text_message(bot.phone_number_id, ANN, "yes please")
    await bot.post_whatsapp(
        _with_context(answer, {"from": "15550001111", "id": welcome.message_id})
    )
    passed_on = meta.text_message(bot.phone_number_id, ANN, "look at this")
    await bot.post_whatsapp(_with_context(passed_on, {"forwarded": True}))
    await sink.wait_for_count(3, type="message.inbound")
    events = sink.events("message.inbound")
    by_text = {event["data"]["message"]["text"]: event["data"]["message"] for event in events}
    assert by_text["yes please"]["reply_to"] == welcome.message_id
    assert "forwarded" not in by_text["yes please"]
    assert by_text["look at this"]["forwarded"] == "forwarded"
    assert "reply_to" not in by_text["hi"] and "forwarded" not in by_text["hi"]
    outbound = sink.events("message.outbound")[0]["data"]
    assert outbound["provider_id"] == welcome.message_id  # how a service finds it
    contract = Contract(load())
    for event in events:
        contract.check(event, "/components/schemas/Event")
