"""A web chat reopened after a reload showed only its last 100 messages.

As a visitor saw it after a long chat: the first messages, the welcome among them, were
gone after a reload, with no way to see them; README promises the chat opens again with
its history. It shows as many as the live view does (the latest 500).
"""

from __future__ import annotations

from adapters.webchat import Pace
from tests.conftest import BotFactory
from tests.test_widget import open_socket, token_for, widget_bot


async def test_a_long_chat_comes_back_whole(make_bot: BotFactory) -> None:
    bot = await widget_bot(make_bot)
    # A long chat, written at once: the visitor's pace is not what this is about.
    bot.runtime.web_hub.messages = Pace(per_second=1000.0, burst=1000)
    token = await token_for(bot)
    socket, _ = await open_socket(bot, token)
    for n in range(120):
        await socket.send_json({"type": "message", "id": f"m{n}", "text": f"message {n}"})
    while (frame := await socket.receive_json(timeout=10)) != {"type": "ack", "id": "m119"}:
        assert frame.get("type") != "error", frame
    await bot.settle()
    await socket.close()
    socket, history = await open_socket(bot, token)
    await socket.close()
    said = [m["text"] for m in history if m["direction"] == "inbound"]
    missing = sorted(set(range(120)) - {int(t.split()[1]) for t in said})
    assert said[0] == "message 0" and not missing, (len(said), missing)
