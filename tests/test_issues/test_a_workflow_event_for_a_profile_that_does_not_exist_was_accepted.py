"""An outside fuzz run posted ``{"type": "ticket.created", "profile": "p_nope", "data":
{"id": 1}}`` to ``POST /v1/events`` and got 202: a notification was created for a
profile nobody has, and answered as skipped, although openapi.json lists 404 for the
route and api.md's errors table says 404 for "no profile with that id".

What must hold: the event is a 404 naming the profile, as ``GET /v1/profiles/p_nope``,
no notification is created and nothing is sent."""

from __future__ import annotations

from tests.conftest import BotFactory
from tests.test_api import WA_ID
from tests.test_notifications import setup
from tests.test_workflows import RULES, trigger


async def test_an_event_for_a_profile_that_does_not_exist_is_404(make_bot: BotFactory) -> None:
    shared = await setup(make_bot, workflows=RULES)
    runtime = shared.bot.runtime
    campaigns = runtime.outreach.notifications.store.number_key(shared.number)
    sent = len(shared.graph.sent)

    event = {"type": "ticket.created", "number": shared.number, "data": {"id": 1}}
    answer = await shared.call("support", "POST", "/v1/events", event | {"profile": "p_nope"})
    assert answer.status == 404, answer.raw
    assert answer.error == "no profile p_nope"
    await shared.bot.settle()
    assert await runtime.redis.zcard(campaigns) == 0
    assert len(shared.graph.sent) == sent

    pid = await runtime.profile_book.find(f"wa:{WA_ID}")
    assert (await trigger(shared, event | {"profile": pid}))["matched_rules"] == 1
