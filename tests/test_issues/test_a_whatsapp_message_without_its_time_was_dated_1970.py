"""A WhatsApp message whose ``timestamp`` was missing or ``"0"`` was taken as sent at
the Unix epoch: its thread and notes said 1 January 1970, and, being older than any
window, it got no automated answer. Meta always sends a time, so this is a payload
gone wrong somewhere on the way; a message without one is now dated when it arrived, and
a time of 0 is refused as every time outside the window is (400), never taken as 1970."""

from __future__ import annotations

import json
import time

import pytest

from tests.conftest import AUTOMATION, PHONE_NUMBER_ID, BotFactory
from tests.emulators import meta_webhooks as meta


async def test_a_message_without_its_time_is_dated_when_it_arrived(make_bot: BotFactory) -> None:
    bot = await make_bot()
    assert bot.graph is not None
    wa_id = "447914000200"
    payload = meta.text_message(PHONE_NUMBER_ID, wa_id, "hi")
    (message,) = payload["entry"][0]["changes"][0]["value"]["messages"]
    del message["timestamp"]
    before = time.time()
    response = await bot.post_whatsapp(json.dumps(payload).encode())
    assert response.status == 200, await response.text()
    await bot.graph.wait_for_sent(1)
    assert [m.text for m in bot.graph.sent if m.to == wa_id] == [AUTOMATION.welcome]
    (first, *_) = await bot.runtime.conversations.timeline(bot.conversation(wa_id))
    assert first["text"] == "hi" and before - 1 <= float(first["timestamp"]) <= time.time() + 1


@pytest.mark.parametrize("timestamp", ["0", 0])
async def test_a_time_of_0_is_refused_not_dated_1970(
    make_bot: BotFactory, timestamp: str | int
) -> None:
    bot = await make_bot()
    payload = meta.text_message(PHONE_NUMBER_ID, "447914000201", "hi")
    payload["entry"][0]["changes"][0]["value"]["messages"][0]["timestamp"] = timestamp
    response = await bot.post_whatsapp(json.dumps(payload).encode())
    assert response.status == 400
    assert await bot.runtime.inbound_log.backlog() == 0
