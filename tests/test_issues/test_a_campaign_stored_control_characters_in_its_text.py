"""An outside fuzz run posted a campaign, ``{"text": "bad\\u0007ctrl\\u001b[31m",
"audience": {"topic": "offers"}, "draft": true}``, to ``POST /v1/notifications`` and got
202: the bell and the terminal escape were stored, to be sent to every recipient. The
one-off form of the same route, and replies, refuse them with 400: the campaign's text
was read by the notification parser, which checked its type and length only.

What must hold: a campaign's text with a control character other than a newline, a
carriage return or a tab is the same 400 as the one-off form's, and nothing is stored;
those three are kept."""

from __future__ import annotations

from tests.conftest import BotFactory
from tests.test_notifications import report, setup

BAD = "bad\u0007ctrl\u001b[31m"


async def test_a_campaigns_control_characters_are_refused(make_bot: BotFactory) -> None:
    shared = await setup(make_bot)
    redis = shared.bot.runtime.redis
    campaigns = shared.bot.runtime.outreach.notifications.store.number_key(shared.number)
    one_off = {"conversation_id": shared.conversation, "text": BAD}
    refused = await shared.call("support", "POST", "/v1/notifications", one_off)
    assert refused.status == 400, refused.raw

    body = {"number": shared.number, "audience": {"topic": "offers"}, "draft": True}
    answer = await shared.call("support", "POST", "/v1/notifications", body | {"text": BAD})
    assert answer.status == 400, answer.raw
    assert answer.error == refused.error
    assert await redis.zcard(campaigns) == 0

    kept = "Line one\r\n\tline two"
    answer = await shared.call("support", "POST", "/v1/notifications", body | {"text": kept})
    assert answer.status == 202, answer.raw
    assert (await report(shared, answer.json["notification"]["id"]))["text"] == kept
