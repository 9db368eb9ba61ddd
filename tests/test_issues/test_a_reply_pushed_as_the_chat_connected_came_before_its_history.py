"""A reply pushed to a visitor's socket as it connected (a reload, a reconnect after a
lost connection, while a service or the bot was answering) was written to it before the
history: the socket took pushes from its first moment, and the history went out only once
it was read from Redis. The page showed the newest reply at the top of the chat, above the
whole conversation that came before it. Now the history is always the socket's first
frame, and what was pushed meanwhile follows it."""

from __future__ import annotations

import asyncio
import contextlib

from adapters import webchat
from tests.conftest import BotFactory
from tests.test_webchat import open_chat

CONNECTS = 20


async def test_the_history_is_the_first_frame_whatever_is_pushed_meanwhile(
    make_bot: BotFactory,
) -> None:
    bot = await make_bot(whatsapp=False)
    first, _ = await open_chat(bot)
    await first.send_json({"type": "message", "id": "m1", "text": "hi"})
    while (await first.receive_json(timeout=5))["type"] != "ack":
        pass
    await bot.settle()  # the ack says the message is taken; it is in the history once worked
    await first.close()
    visitor = next(c.value for c in bot.client.session.cookie_jar if c.key == "sb_vid")

    async def answer_all_the_time() -> None:
        for n in range(10**6):
            message = {"id": f"snd_{n}", "direction": "outbound", "text": f"reply {n}"}
            await bot.runtime.web_hub.push(visitor, webchat.message_frame(message))
            await asyncio.sleep(0.001)

    answering = asyncio.create_task(answer_all_the_time())
    try:
        for _ in range(CONNECTS):
            socket = await bot.client.ws_connect("/webchat/socket")
            frame = await socket.receive_json(timeout=5)
            assert frame["type"] == "history", frame
            assert frame["messages"][0]["text"] == "hi"
            await socket.close()
    finally:
        answering.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await answering
