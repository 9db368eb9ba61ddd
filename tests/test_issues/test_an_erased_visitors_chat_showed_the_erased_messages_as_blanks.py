"""An erased web visitor's chat showed the erased messages as blank bubbles.

As the visitor saw it after their erasure: reloading the chat showed ``[text]``,
``[text]``, ``[image]`` bubbles (what an erasure keeps of each message: that it was
there) with their ticks, and those stayed above the new welcome when they wrote again.
docs/api.md says a message after the erasure starts the conversation again, without the
erased one's skeleton: the chat shows none of it.
"""

from __future__ import annotations

from tests.conftest import BotFactory
from tests.test_widget import VISITOR, open_socket, token_for, widget_bot


async def test_the_erased_history_is_not_shown(make_bot: BotFactory) -> None:
    bot = await widget_bot(make_bot)
    token = await token_for(bot)
    socket, history = await open_socket(bot, token)
    await socket.send_json({"type": "message", "id": "m1", "text": "hello there"})
    while (frame := await socket.receive_json(timeout=10)) != {"type": "ack", "id": "m1"}:
        assert frame.get("type") != "error", frame
    await bot.settle()
    await socket.close()
    _, history = await open_socket(bot, token)
    assert [m["text"] for m in history if m["direction"] == "inbound"] == ["hello there"]
    profile = await bot.runtime.profile_book.find(f"vid:{VISITOR}")
    await bot.runtime.profile_book.erase(profile)
    socket, history = await open_socket(bot, token)
    await socket.close()
    assert history == []
