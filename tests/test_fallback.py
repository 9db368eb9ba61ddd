"""The automation's fallback answer on a running bot (AU-1): it answers what nothing else
answered, once in a while, and keeps out of a conversation a person works."""

from __future__ import annotations

from dataclasses import replace

import aiohttp

from bot.core.fallback import QUIET_SECONDS, Quiet
from bot.model import Identity, conversation_id
from tests.conftest import AUTOMATION, Bot, BotFactory
from tests.test_webchat import next_message, open_chat

FALLBACK = "Thanks! Someone will get back to you."


def visitor_conversation(bot: Bot) -> str:
    visitor = next(c.value for c in bot.client.session.cookie_jar if c.key == "sb_vid")
    return conversation_id("web:site", Identity("vid", visitor))


async def say(socket: aiohttp.ClientWebSocketResponse, n: int, text: str) -> None:
    await socket.send_json({"type": "message", "id": f"m{n}", "text": text})


async def answered_next(socket: aiohttp.ClientWebSocketResponse, n: int, text: str) -> str:
    """What the bot says next after ``text``: a rule's answer proves nothing came before."""
    await say(socket, n, text)
    return str((await next_message(socket))["text"])


async def test_the_fallback_answers_once_what_nothing_matched(make_bot: BotFactory) -> None:
    bot = await make_bot(whatsapp=False, automation=replace(AUTOMATION, fallback=FALLBACK))
    socket, _ = await open_chat(bot)
    assert await answered_next(socket, 1, "hi") == "Welcome! How can we help?"
    assert await answered_next(socket, 2, "my parcel is wet") == FALLBACK
    # Not again so soon: the next answer is the rule's, with nothing before it.
    await say(socket, 3, "and torn")
    assert await answered_next(socket, 4, "price?") == "Plans start at 9 a month."
    await socket.close()


async def test_no_fallback_while_a_person_works_the_conversation(make_bot: BotFactory) -> None:
    bot = await make_bot(whatsapp=False, automation=replace(AUTOMATION, fallback=FALLBACK))
    socket, _ = await open_chat(bot)
    assert await answered_next(socket, 1, "hi") == "Welcome! How can we help?"
    cid = visitor_conversation(bot)
    await bot.runtime.actions.send(cid, "Alice here, looking at it.", service="support")
    assert (await next_message(socket))["text"] == "Alice here, looking at it."
    await say(socket, 2, "thanks")
    assert await answered_next(socket, 3, "price?") == "Plans start at 9 a month."

    other = await make_bot(whatsapp=False, automation=replace(AUTOMATION, fallback=FALLBACK))
    socket, _ = await open_chat(other)
    assert await answered_next(socket, 1, "hi") == "Welcome! How can we help?"
    await other.runtime.claims.claim(visitor_conversation(other), "support", "alice", 600)
    await say(socket, 2, "anyone?")
    assert await answered_next(socket, 3, "price?") == "Plans start at 9 a month."
    await socket.close()


async def test_no_fallback_when_unset(make_bot: BotFactory) -> None:
    bot = await make_bot(whatsapp=False)
    socket, _ = await open_chat(bot)
    assert await answered_next(socket, 1, "hi") == "Welcome! How can we help?"
    await say(socket, 2, "my parcel is wet")
    assert await answered_next(socket, 3, "price?") == "Plans start at 9 a month."
    await socket.close()


def test_what_stands_against_the_fallback() -> None:
    now = 10_000.0
    assert Quiet().allows(now)
    assert not Quiet(opted_out=True).allows(now)
    assert not Quiet(held=True).allows(now)
    assert not Quiet(replied_at=now - QUIET_SECONDS + 1).allows(now)
    assert not Quiet(fallback_at=now - 60).allows(now)
    assert Quiet(replied_at=now - QUIET_SECONDS, fallback_at=now - QUIET_SECONDS).allows(now)
