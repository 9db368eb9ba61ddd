"""A web chat message holding control characters (a NUL, an escape sequence, a bell) was
taken as it was: kept in the conversation, fanned out to every service and shown to the
team, where the API refuses the same text from a service. It is refused now with a clear
error frame naming the message, and nothing is kept; newlines, carriage returns and tabs
stay a visitor's to type."""

from __future__ import annotations

import pytest

from tests.conftest import BotFactory
from tests.test_webchat import next_message, open_chat

CONTROLLED = ["nul \x00 here", "\x1b[2Jcleared", "bell\x07", "del\x7f", "c1 \x9b31m"]


@pytest.mark.parametrize("text", CONTROLLED)
async def test_a_message_with_control_characters_is_refused_and_not_kept(
    make_bot: BotFactory, text: str
) -> None:
    bot = await make_bot(whatsapp=False)
    socket, _ = await open_chat(bot)
    await socket.send_json({"type": "message", "id": "m1", "text": text})
    refusal = await socket.receive_json(timeout=5)
    assert refusal["type"] == "error" and refusal["id"] == "m1", refusal
    assert "control character" in refusal["error"]
    await socket.send_json({"type": "message", "id": "m2", "text": "line one\r\n\tline two"})
    answer = await next_message(socket, echoes=True)
    assert answer["text"] == "line one\r\n\tline two"
    await bot.settle()
    await socket.close()
    again, history = await open_chat(bot)
    await again.close()
    said = [m["text"] for m in history if m["direction"] == "inbound"]
    assert said == ["line one\r\n\tline two"]
