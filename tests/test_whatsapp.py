"""WhatsApp end to end: a signed Cloud API webhook in, the thread, the reply and the fan-out."""

from __future__ import annotations

from tests.conftest import BotFactory
from tests.emulators import meta_webhooks as meta

WA_ID = "447700900123"


async def test_text_message_is_threaded_answered_and_fanned_out(make_bot: BotFactory) -> None:
    bot = await make_bot()
    payload = meta.text_message(bot.phone_number_id, WA_ID, "hi, what are your hours?")
    response = await bot.post_whatsapp(payload)
    assert response.status == 200
    assert bot.graph is not None
    sent = await bot.graph.wait_for_sent(2)
    assert [message.text for message in sent] == ["Welcome! How can we help?", "We open at 9."]
    assert all(message.to == WA_ID for message in sent)
    await bot.sinks["support"].wait_for_count(3)
    types = sorted(event["type"] for event in bot.sinks["support"].events())
    assert types == ["message.inbound", "message.outbound", "message.outbound"]
    timeline = await bot.runtime.conversations.timeline(bot.conversation(WA_ID))
    assert [m["direction"] for m in timeline] == ["inbound", "outbound", "outbound"]
    assert timeline[0]["text"] == "hi, what are your hours?"
