"""An agent who claimed a conversation they already held (a second click, a retry of the
call) sent every service another ``conversation.claimed``, with a new event id and the
same data: a service that keeps events by id recorded the one claim several times.
Claiming again only starts the idle time again; the services heard of the claim once."""

from __future__ import annotations

from tests.conftest import BotFactory
from tests.test_api import shared_number, wait_for_event


async def test_a_claim_made_again_by_its_holder_is_told_once(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    claim = shared.path("claim")
    for _ in range(3):
        answer = await shared.call("support", "POST", claim, {"agent": "ann"})
        assert answer.status == 200, answer.raw
        assert "warning" not in answer.json
    # Someone else's claim comes after: each service has all that came before it then.
    answer = await shared.call("sales", "POST", claim, {"agent": "bob"})
    assert answer.status == 200 and "warning" in answer.json, answer.raw
    for sink in shared.bot.sinks.values():
        await wait_for_event(sink, "conversation.claimed", lambda data: data["agent"] == "bob")
        claims = [(e["data"]["agent"], e["id"]) for e in sink.events("conversation.claimed")]
        assert [agent for agent, _ in claims] == ["ann", "bob"], claims
