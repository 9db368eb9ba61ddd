"""A customer's STOP stopped every message to them, but the services heard it only as the
text "STOP" (or "Arrêt", for a word set at Twilio, or "Stop promotions", a template's
button): a CRM could not tell it had to stop, short of every send of its being refused
with a 409. ``message.inbound`` says it now: ``message.keyword`` is ``stop``, ``start``
or ``help`` for a message the bot took as that word."""

from __future__ import annotations

from typing import Any

from tests.conftest import BotFactory
from tests.test_api import WA_ID, say


async def test_the_inbound_event_says_the_customer_opted_out_and_in(make_bot: BotFactory) -> None:
    bot = await make_bot()
    sink = bot.sinks["support"]
    for text in ("hello", "  stop ", "START", "stopping by later"):
        await say(bot, text)
    await sink.wait_for_count(4, type="message.inbound")
    said: dict[str, Any] = {
        e["data"]["message"]["text"]: e["data"]["message"] for e in sink.events("message.inbound")
    }
    assert said["  stop "]["keyword"] == "stop"
    assert said["START"]["keyword"] == "start"
    assert "keyword" not in said["hello"] and "keyword" not in said["stopping by later"]
    conversation = await bot.runtime.conversations.timeline(bot.conversation(WA_ID), 10)
    assert [m.get("keyword") for m in conversation if m["direction"] == "inbound"] == [
        None,
        "stop",
        "start",
        None,
    ]
