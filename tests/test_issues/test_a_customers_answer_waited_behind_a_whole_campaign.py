"""A campaign queued its whole audience into the outbox at once, and the number's rate let
it out over minutes (3,000 WhatsApp sends at 80 a second: 38 s). Any reply queued meanwhile
went behind it in its shard's outbox: a customer who wrote during a campaign got the bot's
answer, an agent's reply or the next question of a guided conversation only once the whole
campaign had gone. A campaign now queues its sends a few seconds of the number's rate
ahead of what is sent, so a reply waits behind a few seconds of it at most."""

from __future__ import annotations

import time
from typing import Any

from tests.conftest import BotFactory
from tests.emulators import meta_webhooks as meta
from tests.test_api import WELCOME
from tests.test_notifications import Person, campaign, report, seed, setup, until

PEOPLE = 300


async def test_a_customer_who_writes_during_a_campaign_is_answered_before_it_is_over(
    make_bot: BotFactory,
) -> None:
    shared = await setup(make_bot, whatsapp_rate=20.0)  # 300 sends: 15 s
    bot, graph = shared.bot, shared.graph
    people = [Person(f"4479117400{n:03d}", wrote_at=time.time() - 60) for n in range(PEOPLE)]
    ids = await seed(bot.runtime, shared.number, people)
    body = {"number": shared.number, "text": "Sale starts now", "audience": {"profiles": ids}}
    nid = await campaign(shared, body)
    await until(
        lambda: sum(m.text == "Sale starts now" for m in graph.sent) >= 20, 10, "the campaign going"
    )
    asked = meta.text_message(bot.phone_number_id, "447911740999", "hello, is the sale on?")
    assert (await bot.post_whatsapp(asked)).status == 200

    def answered() -> bool:
        return any(m.to == "447911740999" and m.text == WELCOME for m in graph.sent)

    await until(answered, 30, "the customer's answer")
    made = sum(m.text == "Sale starts now" for m in graph.sent)
    assert made < PEOPLE - 150, f"the answer went after {made} of the campaign's {PEOPLE} sends"

    async def sent_whole() -> dict[str, Any] | None:
        found = await report(shared, nid)
        return found if found["status"] == "sent" and found["counts"]["sent"] == PEOPLE else None

    # The rest goes at the number's rate all the same, and the campaign ends sent.
    await until(sent_whole, 40, "the campaign sent whole")
