"""A service detached from every number (retired) kept its queued events and retries for
good: they are never delivered nor dead-lettered, the ``fanout_queue`` gauge never cleared,
and ``admin dead-letters SERVICE --drop``, which README gives for a retired service's
letters, let go of its dead letters alone. For a service attached to no number it lets go
of what waits in its queue too, and says how much; an attached service's queue stays."""

from __future__ import annotations

import asyncio
import json
import os
import time

from stores.deliveries import Delivery
from tests.botprocess import run_command
from tests.conftest import REDIS_URL, BotFactory


async def test_drop_lets_go_of_a_retired_service_s_queue(make_bot: BotFactory) -> None:
    bot = await make_bot(services=("support", "crm"))
    runtime = bot.runtime
    for number in await runtime.actions.numbers_of("crm"):
        await runtime.actions.detach(number, "crm")
    async with asyncio.timeout(10):  # the fan-out has followed: it delivers crm no more
        while True:
            if "crm" not in runtime.couriers.services():
                break
            await asyncio.sleep(0.05)
    event = json.dumps({"id": "evt_waiting", "type": "message.inbound"})
    await runtime.deliveries.add([("crm", event, "evt_waiting")], time.time())
    dead = Delivery("1-0", json.dumps({"id": "evt_dead"}), 5, time.time(), "evt_dead")
    await runtime.redis.rpush(runtime.keys.fanout("crm", "dead"), dead.encode())
    retry = Delivery("2-0", json.dumps({"id": "evt_retry"}), 2, time.time(), "evt_retry")
    await runtime.redis.zadd(
        runtime.keys.fanout("crm", "retry"), {retry.encode(): time.time() + 3600}
    )
    await runtime.deliveries.add([("support", event, "evt_waiting")], time.time())
    assert await runtime.deliveries.pending("crm") == 2

    env = {
        **os.environ,
        "REDIS_URL": REDIS_URL,
        "SWITCHBOARD_KEY_PREFIX": runtime.settings.key_prefix,
        "SWITCHBOARD_CONFIG": os.devnull,
    }
    code, out, err = await run_command(env, "admin", "dead-letters", "crm", "--drop")
    assert code == 0, err
    assert out.strip() == (
        "1 dead letter of crm let go of, and 2 events queued for it: it is attached to no number"
    )
    assert await runtime.deliveries.pending("crm") == 0
    assert await runtime.deliveries.depths(["crm"]) == {"crm": (0, 0)}

    # An attached service's queue is its deliveries under way: --drop leaves it be.
    code, out, err = await run_command(env, "admin", "dead-letters", "support", "--drop")
    assert (code, out.strip()) == (0, "0 dead letters of support let go of"), err
