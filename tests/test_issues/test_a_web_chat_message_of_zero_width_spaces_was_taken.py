"""A web chat message of only a zero-width space (or a joiner, a direction mark, a
no-break space) was taken: an empty bubble, fanned out to the services, and answered by
the automation's fallback. It is refused now, as an empty one is, and nothing is stored;
a message with something to show among such characters still goes."""

from __future__ import annotations

import pytest

from adapters.webchat import INVISIBLE_TEXT, shows_something
from tests.conftest import BotFactory
from tests.test_webchat import next_message, open_chat


@pytest.mark.parametrize("text", ["\u200b", "\u200b\u200d\u2060", "\u00a0\u200e", "\ufeff \u3000"])
async def test_a_message_that_shows_nothing_is_refused(make_bot: BotFactory, text: str) -> None:
    bot = await make_bot(whatsapp=False)
    socket, _ = await open_chat(bot)
    await socket.send_json({"type": "message", "id": "blank", "text": text})
    reply = await socket.receive_json(timeout=5)
    assert reply == {"type": "error", "error": INVISIBLE_TEXT, "id": "blank"}
    await socket.send_json({"type": "message", "id": "fine", "text": "\u200bhi"})
    assert (await next_message(socket))["text"] == "Welcome! How can we help?"
    await socket.close()
    assert bot.runtime.meters.value("switchboard_inbound_accepted_total") == 1


def test_what_shows_something() -> None:
    assert shows_something("hi") and shows_something("\u200d\U0001f44d") and shows_something(".")
    assert not shows_something("\u200b \u2028\t")
