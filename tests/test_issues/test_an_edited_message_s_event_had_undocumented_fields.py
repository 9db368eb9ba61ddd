"""A customer who edits a Telegram message sends every service a second
``message.inbound`` with the same message id, the new text and ``edited: true``, and the
timeline shows the new text with ``edited_at``: neither field was in docs/openapi.json,
so a service built from the document could not tell an edit from a new message."""

from __future__ import annotations

import json
from typing import Any

from tests.test_openapi import COPY, Contract
from tests.test_telegram_runtime import CUSTOMER, TelegramBot, tg, wait_until_processed

__all__ = ["tg"]


def documented(schema: str) -> set[str]:
    document: dict[str, Any] = json.loads(COPY.read_text(encoding="utf-8"))
    return set(document["components"]["schemas"][schema]["properties"])


async def test_an_edit_is_documented_as_it_reaches_the_services(tg: TelegramBot) -> None:
    tg.api.customer_text(CUSTOMER, "hi")
    timeline = await wait_until_processed(tg, CUSTOMER, 1)
    first = next(m for m in timeline if m["direction"] == "inbound")
    message_id = int(str(first["id"]).rsplit(":", 1)[1])
    tg.api.edited_text(CUSTOMER, message_id, "hi, edited")
    sink = tg.bot.sinks["support"]
    await sink.wait_for_count(2, type="message.inbound")
    original, edit = sink.events("message.inbound")
    said, edited = original["data"]["message"], edit["data"]["message"]
    assert edited["id"] == said["id"] and edited["edited"] is True
    contract = Contract(json.loads(COPY.read_text(encoding="utf-8")))
    for event in (original, edit):
        contract.event(event)
        assert set(event["data"]["message"]) <= documented("InboundMessage"), event["data"]
    timeline = await tg.timeline()
    shown = next(m for m in timeline if m.get("id") == first["id"])
    assert shown["text"] == "hi, edited" and shown.get("edited_at")
    assert set(shown) <= documented("InboundMessage"), shown
