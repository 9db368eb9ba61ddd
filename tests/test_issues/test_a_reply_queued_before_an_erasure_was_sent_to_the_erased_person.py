"""A reply waiting in the outbox when its customer was erased (the provider was slow, or
down) went out to the erased person once the provider answered again, and its record and
``message.outbound`` event named them again after the erasure. A send's claim looks at
its conversation now: one whose customer was erased since it was queued goes nowhere,
and nothing is kept of it."""

from __future__ import annotations

import asyncio

from tests.conftest import Bot, BotFactory
from tests.emulators import meta_webhooks as meta
from tests.scrape import samples

WA_ID = "447911123458"


async def dropped(bot: Bot) -> float:
    """Sends dropped as their customer was erased (``sends_total{outcome="erased"}``)."""
    async with bot.client.get("/metrics") as response:
        found = samples(await response.text()).get("switchboard_sends_total", [])
    return sum(value for labels, value in found if labels.get("outcome") == "erased")


async def test_the_erased_person_gets_nothing_that_was_queued_for_them(
    make_bot: BotFactory,
) -> None:
    bot = await make_bot(services=("support",))
    graph = bot.graph
    assert graph is not None
    graph.fail_next(1, status=429, code=130429, retry_after=2)  # the welcome waits a while
    payload = meta.text_message(bot.phone_number_id, WA_ID, "hello", name="Erin")
    assert (await bot.post_whatsapp(payload)).status == 200
    async with asyncio.timeout(10):
        while True:  # the welcome was tried once, and refused for now
            if graph.requests:
                break
            await asyncio.sleep(0.02)

    erased = await bot.runtime.profile_book.erase(f"wa:{WA_ID}")
    assert erased["erased"]

    async with asyncio.timeout(15):
        while True:
            if await dropped(bot):
                break
            await asyncio.sleep(0.05)
    assert graph.sent == []  # the retry found the customer erased, and sent nothing
    await bot.settle()
    sink = bot.sinks["support"]
    assert sink.events("message.outbound") == []
    assert WA_ID not in "".join(d.raw_body.decode() for d in sink.deliveries[-1:] if d)
    timeline = await bot.runtime.conversations.timeline(bot.conversation(WA_ID))
    assert all(m.get("status") != "sent" for m in timeline)
