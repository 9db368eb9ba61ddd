"""A claim's ``agent`` (or a note's ``author``) that shows nothing got past the check
when its characters were not controls or spaces: the Hangul fillers (U+3164, U+115F,
U+FFA0, Unicode's default ignorable letters), the combining grapheme joiner (U+034F), a
variation selector (U+FE0F), the Braille blank (U+2800) or an accent on nothing
(U+0301). Other services' warnings named "⠀ of support" as the holder. The web chat
took such a message as text, an empty bubble the automation answered."""

from __future__ import annotations

import pytest

from adapters.webchat import INVISIBLE_TEXT
from tests.conftest import BotFactory
from tests.test_api import shared_number
from tests.test_webchat import next_message, open_chat

BLANKS = ["\u3164", "\u115f", "\uffa0", "\u034f", "\ufe0f", "\u2800", "\u0301", "\u3164\u2800 "]


@pytest.mark.parametrize("agent", BLANKS)
async def test_a_name_drawn_as_nothing_is_refused(make_bot: BotFactory, agent: str) -> None:
    shared = await shared_number(make_bot)
    claim = await shared.call("sales", "POST", shared.path("claim"), {"agent": agent})
    assert claim.status == 400 and "shows nothing" in claim.json["error"], claim.raw
    note = {"text": "called back", "author": agent}
    answer = await shared.call("sales", "POST", shared.path("notes"), note)
    assert answer.status == 400, answer.raw
    # A letter with its accent, an emoji with its selector: names.
    for name in ("Jose\u0301", "\u2764\ufe0f", "Ann"):
        claim = await shared.call("sales", "POST", shared.path("claim"), {"agent": name})
        assert claim.status == 200, claim.raw


async def test_a_web_chat_message_drawn_as_nothing_is_refused(make_bot: BotFactory) -> None:
    bot = await make_bot(whatsapp=False)
    socket, _ = await open_chat(bot)
    for n, text in enumerate(BLANKS):
        await socket.send_json({"type": "message", "id": f"blank{n}", "text": text})
        reply = await socket.receive_json(timeout=5)
        assert reply == {"type": "error", "error": INVISIBLE_TEXT, "id": f"blank{n}"}
    await socket.send_json({"type": "message", "id": "fine", "text": "\u3164hi"})
    assert (await next_message(socket))["text"] == "Welcome! How can we help?"
    await socket.close()
