"""``/notify … at=<a time already past>`` in the team chat, and ``"at"`` in the past on
``POST /v1/notifications``, sent at once, while ``admin notify --at`` refused it: all three
now refuse a time more than a minute past, and nothing is scheduled or sent."""

from __future__ import annotations

import time

from handlers.commands import Caller
from tests.conftest import BotFactory
from tests.test_notifications import setup

AGENT = Caller("ann@example.com", "agent")


async def test_a_past_time_is_refused_in_the_chat_and_the_api(make_bot: BotFactory) -> None:
    shared = await setup(make_bot)
    answer = await shared.bot.runtime.commands.run(
        AGENT, "/notify wa topic=offers at=2020-01-01T09:00 Happy new year"
    )
    assert "in the past" in answer and not answer.startswith(("Scheduled", "Sending")), answer
    body = {
        "number": shared.number,
        "text": "Too late",
        "at": time.time() - 3600,
        "audience": {"conversations": [shared.conversation]},
    }
    refused = await shared.call("support", "POST", "/v1/notifications", body)
    assert refused.status == 400, refused.json
    assert "in the past" in refused.json["error"]
