"""The dead letters of a service detached from every number left the
``fanout_dead_letters`` gauge, which covered the attached services alone: an alert on it
cleared while ``admin dead-letters`` still listed them, waiting for the operator. The
gauge counts a detached service's too."""

from __future__ import annotations

import asyncio
import json

from tests.conftest import BotFactory


async def test_a_detached_services_dead_letters_stay_on_the_gauge(make_bot: BotFactory) -> None:
    bot = await make_bot(services=("support", "crm"))
    runtime = bot.runtime
    letter = {"e": json.dumps({"id": "evt_dead", "type": "message.inbound"}), "a": 5}
    await runtime.redis.rpush(runtime.keys.fanout("crm", "dead"), json.dumps(letter))
    for number in await runtime.actions.numbers_of("crm"):
        await runtime.actions.detach(number, "crm")
    async with asyncio.timeout(10):  # the fan-out has followed: it delivers crm no more
        while True:
            if "crm" not in runtime.couriers.services():
                break
            await asyncio.sleep(0.05)

    scraped = await (await bot.client.get("/metrics")).text()
    assert 'switchboard_fanout_dead_letters{service="crm"} 1.0' in scraped, scraped[-2000:]
