"""A WhatsApp ``text`` message whose ``text.body`` was no string (a list, an object, null, a
number) or that had no ``text`` at all was taken as a text: an empty one (or the number as
its digits), stored, fanned out to every service and answered. Meta always sends a text's
body as a string: such a message is left out and said in ``unread``, like any other the
bot cannot read, and the rest of the POST is taken."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.conftest import BotFactory
from tests.emulators import meta_webhooks as meta

WA_ID = "447911555001"


@pytest.mark.parametrize(
    "text",
    [{"body": ["x"]}, {"body": None}, {"body": {"a": 1}}, {"body": 12345}, "hi", None, {}],
)
async def test_a_text_message_without_a_body_string_is_left_unread(
    make_bot: BotFactory, text: Any
) -> None:
    bot = await make_bot()
    broken: dict[str, Any] = {
        "from": WA_ID,
        "id": meta.new_message_id(),
        "timestamp": str(int(time.time())),
        "type": "text",
    }
    if text is not None:
        broken["text"] = text
    alone = await bot.post_whatsapp(meta.raw_message(bot.phone_number_id, WA_ID, broken))
    assert alone.status == 400, await alone.text()
    readable = meta.text_message(bot.phone_number_id, WA_ID, "hello")
    both = meta.batch(meta.raw_message(bot.phone_number_id, WA_ID, broken), readable)
    answer = await bot.post_whatsapp(both)
    assert answer.status == 200
    found = await answer.json()
    assert (found["received"], found["new"], len(found["unread"])) == (1, 1, 1), found
    assert "text" in found["unread"][0]
    await bot.settle()
    timeline = await bot.runtime.conversations.timeline(bot.conversation(WA_ID))
    assert [m.get("text") for m in timeline if m["direction"] == "inbound"] == ["hello"]
    sink = bot.sinks["support"]
    await sink.wait_for_count(1, type="message.inbound")
    assert [e["data"]["message"]["text"] for e in sink.events("message.inbound")] == ["hello"]
