"""Meta does not promise webhooks in order, and it resends one it got no 200 for. A
customer who edited a WhatsApp message twice, whose first edit came after the second
(resent), had the timeline show the first wording for good: the edit that arrived last
won, whatever its time. The timeline keeps the latest edit by its time now."""

from __future__ import annotations

import time
from typing import Any

from tests.conftest import BotFactory
from tests.emulators import meta_webhooks as meta

CUSTOMER = "447700900402"


def _edit(phone_number_id: str, original: str, text: str, at: int) -> dict[str, Any]:
    edit = {
        "from": CUSTOMER,
        "id": meta.new_message_id(),
        "timestamp": str(at),
        "type": "edit",
        "edit": {
            "original_message_id": original,
            "message": {"type": "text", "text": {"body": text}},
        },
    }
    return meta.raw_message(phone_number_id, CUSTOMER, edit)


async def test_an_earlier_edit_arriving_late_leaves_the_later_one(make_bot: BotFactory) -> None:
    bot = await make_bot()
    sink = bot.sinks["support"]
    now = int(time.time())
    first = meta.text_message(bot.phone_number_id, CUSTOMER, "helo", timestamp=now - 120)
    original = first["entry"][0]["changes"][0]["value"]["messages"][0]["id"]
    await bot.post_whatsapp(first)
    later = _edit(bot.phone_number_id, original, "hello, the blue one", now - 10)
    earlier = _edit(bot.phone_number_id, original, "hello, the red one", now - 60)
    assert (await bot.post_whatsapp(later)).status == 200
    await sink.wait_for_count(2, type="message.inbound")
    assert (await bot.post_whatsapp(earlier)).status == 200
    await sink.wait_for_count(3, type="message.inbound")
    await bot.settle()
    timeline = await bot.runtime.conversations.timeline(bot.conversation(CUSTOMER))
    inbound = [m for m in timeline if m["direction"] == "inbound"]
    assert [(m["id"], m["text"]) for m in inbound] == [(original, "hello, the blue one")]
    assert inbound[0]["edited_at"] == now - 10


async def test_edits_in_order_show_the_last(make_bot: BotFactory) -> None:
    bot = await make_bot()
    sink = bot.sinks["support"]
    now = int(time.time())
    first = meta.text_message(bot.phone_number_id, CUSTOMER, "helo", timestamp=now - 120)
    original = first["entry"][0]["changes"][0]["value"]["messages"][0]["id"]
    await bot.post_whatsapp(first)
    for n, text in enumerate(("hello", "hello there", "hello there!")):
        await bot.post_whatsapp(_edit(bot.phone_number_id, original, text, now - 30))
        await sink.wait_for_count(n + 2, type="message.inbound")
    await bot.settle()
    timeline = await bot.runtime.conversations.timeline(bot.conversation(CUSTOMER))
    inbound = [m for m in timeline if m["direction"] == "inbound"]
    assert [m["text"] for m in inbound] == ["hello there!"]
