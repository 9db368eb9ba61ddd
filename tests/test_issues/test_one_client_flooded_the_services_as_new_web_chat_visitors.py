"""One script, with no credential but the visitor cookie ``GET /`` gives anyone, sent 2,000
web chat messages of 4,000 characters in 11 s as 100 new visitors: each was kept (32 MB
of Redis) and posted to every service. The chat's pace of messages was the visitor's,
and the visitor is whoever the client says. What all visitors together send in an hour
is bounded now (``webchat.messages_per_hour``): past it a message is refused with an
error frame that says when it would be taken, and nothing of it is kept or told."""

from __future__ import annotations

from typing import Any

import aiohttp

from adapters import webchat
from tests.conftest import BotFactory
from tests.test_webchat import open_chat

VISITORS, EACH, MOST = 3, 10, 25


async def answer(socket: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
    """The next ack or error frame (the echoes between are skipped)."""
    while True:
        frame: dict[str, Any] = await socket.receive_json(timeout=10)
        if frame["type"] in ("ack", "error"):
            return frame


async def test_fresh_visitors_cannot_send_past_the_chats_hourly_messages(
    make_bot: BotFactory,
) -> None:
    bot = await make_bot(whatsapp=False, web_messages_per_hour=MOST)
    answers = []
    for visitor in range(VISITORS):  # each a new visitor: no cookie, then the one GET / gives
        bot.client.session.cookie_jar.clear()
        socket, _ = await open_chat(bot)
        for n in range(EACH):
            await socket.send_json({"type": "message", "id": f"v{visitor}m{n}", "text": "spam"})
            answers.append(await answer(socket))
        await socket.close()
    acked = [a for a in answers if a["type"] == "ack"]
    refused = [a for a in answers if a["type"] == "error"]
    assert len(acked) == MOST
    assert len(refused) == VISITORS * EACH - MOST
    for error in refused:
        assert error["error"] == webchat.CHAT_FULL
        assert 0 < error["retry_after"] <= 3600
    await bot.sinks["support"].wait_for_count(MOST, "message.inbound")
    await bot.settle()
    assert len(bot.sinks["support"].events("message.inbound")) == MOST
