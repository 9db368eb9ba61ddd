"""A binary frame on the web chat's socket got no answer at all, not even one holding
valid JSON: the page waited for an acknowledgement that never came. The README says a
frame that is not what the chat takes gets an error frame; a binary one now does."""

from __future__ import annotations

from tests.conftest import BotFactory
from tests.test_webchat import open_chat


async def test_a_binary_frame_gets_an_error_frame(make_bot: BotFactory) -> None:
    bot = await make_bot(whatsapp=False)
    socket, _ = await open_chat(bot)
    await socket.send_bytes(b'{"type": "message", "id": "m1", "text": "binary"}')
    answer = await socket.receive_json(timeout=5)
    assert answer == {"type": "error", "error": "frames are text: a JSON object with a type"}
    await socket.close()
    assert await bot.runtime.inbound_log.backlog() == 0
