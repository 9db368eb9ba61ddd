"""A customer who edited a WhatsApp message (Meta's ``edit`` webhook: the original
message's id and the message as it reads now) got the automation's answer as if they had
written again (the fallback, or a keyword's reply), and every service got a new
``unsupported`` message: none could tell the edit from a new message, and the timeline
kept the old words. An edit is told as on Telegram now: the services get the original
message's id with the new text and ``edited: true``, the timeline shows the new text, and
the automation does not answer it."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

from tests.conftest import AUTOMATION, BotFactory
from tests.emulators import meta_webhooks as meta

FALLBACK = "Thanks! Someone will get back to you."
CUSTOMER = "447700900401"


def _edit(phone_number_id: str, original: str, inner: dict[str, Any]) -> dict[str, Any]:
    edit = {
        "from": CUSTOMER,
        "id": meta.new_message_id(),
        "timestamp": str(int(time.time())),
        "type": "edit",
        "edit": {"original_message_id": original, "message": inner},
    }
    return meta.raw_message(phone_number_id, CUSTOMER, edit)


async def test_an_edit_changes_the_message_and_gets_no_answer(make_bot: BotFactory) -> None:
    bot = await make_bot(automation=replace(AUTOMATION, fallback=FALLBACK))
    graph, sink = bot.graph, bot.sinks["support"]
    assert graph is not None
    first = meta.text_message(bot.phone_number_id, CUSTOMER, "helo")
    original = first["entry"][0]["changes"][0]["value"]["messages"][0]["id"]
    await bot.post_whatsapp(first)
    sent = await graph.wait_for_sent(1)
    assert [s.text for s in sent] == ["Welcome! How can we help?"]

    inner = {"type": "text", "text": {"body": "hello, the price?"}}
    answer = await bot.post_whatsapp(_edit(bot.phone_number_id, original, inner))
    assert answer.status == 200
    await sink.wait_for_count(2, type="message.inbound")
    _, edited = sink.events("message.inbound")
    message = edited["data"]["message"]
    assert (message["id"], message["kind"], message["text"]) == (
        original,
        "text",
        "hello, the price?",
    )
    assert message["edited"] is True
    timeline = await bot.runtime.conversations.timeline(bot.conversation(CUSTOMER))
    inbound = [m for m in timeline if m["direction"] == "inbound"]
    assert [(m["id"], m["text"]) for m in inbound] == [(original, "hello, the price?")]

    # No answer to the edit: the next answer is the one to the next message.
    await bot.post_whatsapp(meta.text_message(bot.phone_number_id, CUSTOMER, "hours?"))
    await graph.wait_for_sent(2)
    await bot.settle()
    assert [s.text for s in graph.sent[1:]] == ["We open at 9."]


async def test_an_edited_caption_is_the_message_s_new_text(make_bot: BotFactory) -> None:
    bot = await make_bot()
    sink = bot.sinks["support"]
    photo = meta.image_message(bot.phone_number_id, CUSTOMER, "1234567890", caption="my recipt")
    original = photo["entry"][0]["changes"][0]["value"]["messages"][0]["id"]
    await bot.post_whatsapp(photo)
    image = {"id": "1234567890", "mime_type": "image/jpeg", "sha256": "x", "caption": "my receipt"}
    await bot.post_whatsapp(_edit(bot.phone_number_id, original, {"type": "image", "image": image}))
    await sink.wait_for_count(2, type="message.inbound")
    message = sink.events("message.inbound")[1]["data"]["message"]
    assert (message["id"], message["kind"], message["text"], message["edited"]) == (
        original,
        "image",
        "my receipt",
        True,
    )
