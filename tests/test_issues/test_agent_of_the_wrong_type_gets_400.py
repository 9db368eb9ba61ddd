"""``"agent": false`` or ``"agent": {}`` on a reply was taken as no agent and answered 201;
a field of the wrong type is a 400, as the API document says, and nothing is sent."""

from __future__ import annotations

from tests.conftest import BotFactory
from tests.test_api import WELCOME, call, shared_number


async def test_an_agent_that_is_not_a_string_is_refused(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    token = shared.tokens["sales"]
    for agent in (False, {}, [], 0, True, ["bob"]):
        answer = await call(
            shared.bot, token, "POST", shared.path("messages"), {"text": "hi", "agent": agent}
        )
        assert answer.status == 400, (agent, answer.raw)
        assert "'agent' must be a" in answer.error
    for path in (shared.path("claim"), shared.path("release")):
        answer = await call(shared.bot, token, "POST", path, {"agent": False})
        assert answer.status == 400, answer.raw
    note = await call(shared.bot, token, "POST", shared.path("notes"), {"text": "x", "author": {}})
    assert note.status == 400
    await shared.bot.settle()
    assert shared.texts_sent() == [WELCOME]
    assert (await shared.reply("sales", "still fine", "bob")).status == 201
