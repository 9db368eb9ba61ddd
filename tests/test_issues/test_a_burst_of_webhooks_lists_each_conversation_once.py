"""``GET /v1/conversations`` right after a burst of webhooks lists each conversation once,
however the burst moves the conversations' last activity while the listing reads them."""

from __future__ import annotations

import asyncio

from tests.conftest import BotFactory
from tests.emulators import meta_webhooks as meta
from tests.test_api import SUPPORT_AUTOMATION, THREE, call

CUSTOMERS = [f"4479111{index:05d}" for index in range(30)]


async def test_a_burst_of_webhooks_lists_each_conversation_once(make_bot: BotFactory) -> None:
    bot = await make_bot(
        services=THREE, automations={"support": SUPPORT_AUTOMATION}, runtime_service=False
    )
    token = await bot.runtime.directory.define_token("sales")

    async def burst() -> None:
        for round in range(3):
            payloads = [
                meta.text_message(bot.phone_number_id, wa_id, f"message {round}")
                for wa_id in CUSTOMERS
            ]
            answers = await asyncio.gather(*(bot.post_whatsapp(p) for p in payloads))
            assert {answer.status for answer in answers} == {200}

    sending = asyncio.create_task(burst())
    listings = []
    while not sending.done():  # list while the burst is being taken in and processed
        listings.append((await call(bot, token, "GET", "/v1/conversations")).json)
    await sending
    await bot.settle()
    listings.append((await call(bot, token, "GET", "/v1/conversations")).json)
    for listing in listings:
        ids = [item["id"] for item in listing["conversations"]]
        assert len(ids) == len(set(ids)), ids
    assert {item["id"] for item in listings[-1]["conversations"]} == {
        bot.conversation(wa_id) for wa_id in CUSTOMERS
    }
