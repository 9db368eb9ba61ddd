"""A campaign queues its sends a few seconds of the number's rate ahead of those that
went, so that a reply waits behind a few seconds of it at most; but each campaign counted
only its own sends: eight campaigns at once on a number had eight times as much queued,
and a customer's answer waited 13 to 26 s behind them. What the number has waiting in
the outbox, every campaign's and every reply's, is what a campaign keeps a few seconds
ahead now."""

from __future__ import annotations

import time

from tests.conftest import BotFactory
from tests.emulators import meta_webhooks as meta
from tests.test_api import WELCOME
from tests.test_notifications import Person, campaign, seed, setup, until

CAMPAIGNS, EACH = 4, 80


async def test_a_customer_is_answered_within_seconds_of_several_campaigns(
    make_bot: BotFactory,
) -> None:
    shared = await setup(make_bot, whatsapp_rate=20.0)  # 3 s of it: 60 sends
    bot, graph = shared.bot, shared.graph
    people = [
        Person(f"447911750{n:03d}", wrote_at=time.time() - 60) for n in range(CAMPAIGNS * EACH)
    ]
    ids = await seed(bot.runtime, shared.number, people)
    for n in range(CAMPAIGNS):
        audience = {"profiles": ids[n * EACH : (n + 1) * EACH]}
        body = {"number": shared.number, "text": f"Sale {n}", "audience": audience}
        await campaign(shared, body)

    def made() -> int:
        return sum(str(m.text).startswith("Sale ") for m in graph.sent)

    await until(lambda: made() >= 20, 15, "the campaigns going")
    asked = meta.text_message(bot.phone_number_id, "447911759999", "hello, is the sale on?")
    assert (await bot.post_whatsapp(asked)).status == 200
    await until(
        lambda: any(m.to == "447911759999" and m.text == WELCOME for m in graph.sent),
        30,
        "the customer's answer",
    )
    # Sent by then: those before the customer wrote, and at most about 3 s of the rate.
    assert made() < 20 + 2 * 60, f"the answer went after {made()} of the campaigns' sends"
    await until(lambda: made() == CAMPAIGNS * EACH, 40, "the campaigns sent whole")
