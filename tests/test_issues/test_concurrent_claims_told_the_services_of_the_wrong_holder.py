"""Concurrent claims of one conversation took effect one after the other (the claim is
atomic), but each queued its ``conversation.claimed`` in a step of its own, so the events
could go out in another order: in 7 rounds of 20 of six claims at once, the last event
named someone who no longer held the conversation, and ``previous`` chained wrong. A
process's claims of one conversation queue their events in the order they took effect."""

from __future__ import annotations

import asyncio
import itertools

from tests.conftest import BotFactory
from tests.test_api import shared_number
from tests.test_api_events import _walk


async def test_the_last_claimed_event_names_the_holder(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    path = shared.path("claim")
    for round_ in range(8):
        calls = [
            shared.call(service, "POST", path, {"agent": f"r{round_}x{n}"})
            for n, service in enumerate(["sales", "support"] * 3)
        ]
        assert all(answer.status == 200 for answer in await asyncio.gather(*calls))
    await shared.bot.settle()
    holder = (await shared.call("sales", "GET", shared.path(""))).json["conversation"]["claim"]
    feed = await _walk(shared, shared.tokens["marketing"], page=500)
    claimed = [event["data"] for event in feed if event["type"] == "conversation.claimed"]
    assert len(claimed) == 48
    assert (claimed[-1]["service"], claimed[-1]["agent"]) == (holder["service"], holder["agent"])
    for before, after in itertools.pairwise(claimed):
        previous = after["previous"]
        assert previous is not None
        assert (previous["service"], previous["agent"]) == (before["service"], before["agent"])
