"""Erasing a customer whose conversation an agent held dropped the claim without a word:
no ``conversation.released`` went out, so every service kept showing that agent as its
holder. Every service now hears ``conversation.released`` with the reason ``erased``,
naming the holder and nothing of the customer, once."""

from __future__ import annotations

import json

from tests.conftest import BotFactory
from tests.test_api import WA_ID, shared_number, wait_for_event
from tests.test_openapi import Contract, load


async def test_an_erasure_tells_every_service_the_claim_ended(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    claimed = await shared.call("support", "POST", shared.path("claim"), {"agent": "alice"})
    assert claimed.status == 200, claimed.raw
    erased = await shared.call("sales", "DELETE", f"/v1/profiles/wa:{WA_ID}")
    assert erased.status == 200, erased.raw

    contract = Contract(load())
    for sink in shared.bot.sinks.values():
        released = await wait_for_event(sink, "conversation.released")
        assert released["data"] == {
            "conversation_id": shared.conversation,
            "service": "support",
            "agent": "alice",
            "reason": "erased",
        }
        assert released["number"] == shared.number
        contract.event(released)
        assert WA_ID not in json.dumps(released) and "hello" not in json.dumps(released)
        await wait_for_event(sink, "profile.erased")  # goes out with it, after it
        assert len(sink.events("conversation.released")) == 1
    # Off the lapse list too: nobody announces it again when its idle time is up.
    assert await shared.bot.runtime.claims.next_lapse() is None
