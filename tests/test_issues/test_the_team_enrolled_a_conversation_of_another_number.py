"""``admin enrol`` (and ``/enrol``) enrolled a conversation of another number than the
sequence's, which the API refuses (404 "no conversation ... on <number>"): the steps then
went from the sequence's number to a customer who never wrote to it. Refused alike now."""

from __future__ import annotations

from tests.conftest import BotFactory
from tests.test_api import shared_number
from tests.test_fallback import visitor_conversation
from tests.test_notifications import NO_QUIET
from tests.test_sequences import AGENT, drip
from tests.test_webchat import next_message, open_chat


async def test_a_conversation_of_another_number_is_not_enrolled(make_bot: BotFactory) -> None:
    shared = await shared_number(
        make_bot, notifications=NO_QUIET, sequences=drip({"workflow": "signup"})
    )
    socket, _ = await open_chat(shared.bot)
    await socket.send_json({"type": "message", "id": "m1", "text": "hi"})
    await next_message(socket)  # the web chat's conversation is on web:site
    await socket.close()
    other = visitor_conversation(shared.bot)
    answer = await shared.bot.runtime.commands.run(AGENT, f"/enrol welcome {other}")
    assert "no conversation" in answer and shared.number in answer, answer
    report = await shared.call("support", "GET", "/v1/sequences/welcome")
    assert report.json["sequence"]["enrolments"]["enrolled"] == 0
    mine = shared.conversation
    assert (await shared.bot.runtime.commands.run(AGENT, f"/enrol welcome {mine}")).startswith(
        "Enrolled"
    )
