"""An audience by campaign response with ``"read": "yes"`` was refused with "'read' is
not a response; give any of sent, delivered, read, ...": the message named ``read`` as
unknown while listing it. What must hold: a known response with a value that is not true
or false says so; an unknown one still lists the responses; nothing is stored."""

from __future__ import annotations

from tests.conftest import BotFactory
from tests.test_notifications import setup


async def test_a_response_of_the_wrong_type_says_true_or_false(make_bot: BotFactory) -> None:
    shared = await setup(make_bot)
    key = shared.bot.runtime.outreach.notifications.store.number_key(shared.number)
    for response, words in (
        ({"read": "yes"}, "audience.filter.read: true or false"),
        ({"clicked": 1}, "audience.filter.clicked: true or false"),
        ({"opened": True}, "'opened' is not a response; give any of sent"),
    ):
        body = {
            "number": shared.number,
            "text": "Hi",
            "audience": {"filter": {"campaign": "ntf_0193ab", **response}},
        }
        answer = await shared.call("support", "POST", "/v1/notifications", body)
        assert answer.status == 400 and words in answer.error, answer.raw
    assert await shared.bot.runtime.redis.zcard(key) == 0
