"""A customer with two conversations on the number (two WhatsApp ids stitched into one
profile) got a topic campaign twice, once in each, and a filter campaign's review counted
them twice, where a campaign to profiles reaches a person once however many ways they
are named. A person is one recipient now, whatever the audience."""

from __future__ import annotations

import time

from bot.model import Identity
from tests.conftest import BotFactory
from tests.test_notifications import Person, campaign, finished, seed, setup

FIRST, SECOND = "447911500001", "447911500002"


async def test_one_person_with_two_conversations_gets_one_message(make_bot: BotFactory) -> None:
    shared = await setup(make_bot)
    now = time.time()
    (profile,) = await seed(
        shared.bot.runtime,
        shared.number,
        [Person(FIRST, {"city": "Leeds"}, now - 60)],
    )
    runtime = shared.bot.runtime
    assert await runtime.profiles.attach(profile, Identity("wa", SECOND), "whatsapp") == profile
    await seed(runtime, shared.number, [Person(SECOND, {}, now - 30)])  # writes from both
    for n, audience in enumerate(
        ({"topic": "news"}, {"filter": {"field": "city", "equals": "Leeds"}}), 1
    ):
        text = f"Hi! ({n})"
        nid = await campaign(shared, {"number": shared.number, "text": text, "audience": audience})
        await finished(shared, nid)
        to_them = [s for s in shared.graph.sent if s.to in (FIRST, SECOND) and s.text == text]
        assert len(to_them) == 1, (audience, [s.to for s in to_them])
        listed = await shared.call(
            "support", "GET", f"/v1/notifications/{nid}/recipients?status=sent"
        )
        mine = [r for r in listed.json["recipients"] if r["profile"] == profile]
        assert len(mine) == 1, listed.json
