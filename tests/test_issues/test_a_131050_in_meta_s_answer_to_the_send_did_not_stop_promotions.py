"""Meta refused a marketing message at once, in its answer to the send, with 131050 (the
customer tapped "Stop promotions"; Meta's errors come in the API's answer, in a status
webhook, or both). The recipient was listed failed (error 131050), and that was all: the
stop was not recorded, and the next marketing campaign went to the customer again. The
same failure in a status webhook did record it. It does now in both."""

from __future__ import annotations

import time
from typing import Any

from bot.model import Identity, conversation_id
from tests.conftest import BotFactory
from tests.test_issues.test_a_customer_who_stopped_promotions_still_got_marketing import (
    CONSENT,
    stopped,
)
from tests.test_notifications import Person, campaign, finished, seed, setup

CUSTOMER = "447911300051"


async def test_a_131050_answer_to_the_send_stops_later_marketing(make_bot: BotFactory) -> None:
    shared = await setup(make_bot)
    await seed(shared.bot.runtime, shared.number, [Person(CUSTOMER, CONSENT, time.time() - 60)])
    cid = conversation_id(shared.number, Identity("wa", CUSTOMER))
    body: dict[str, Any] = {
        "number": shared.number,
        "text": "Our spring sale starts today",
        "category": "marketing",
        "audience": {"conversations": [cid]},
    }
    shared.graph.fail_next(1, status=400, code=131050)
    found = await finished(shared, await campaign(shared, body))
    assert found["counts"]["failed"] == 1
    assert await stopped(shared, CUSTOMER)

    found = await finished(shared, await campaign(shared, body))
    assert found["counts"]["queued"] == 0
    assert found["skipped"]["marketing_stopped"] == 1
