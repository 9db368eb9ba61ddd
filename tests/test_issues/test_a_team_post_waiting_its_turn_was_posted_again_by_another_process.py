"""With several processes, a team chat post that waited for the group's turn (20 posts a
minute) longer than the fan-out's reclaim time was taken back by another process, which
posted it too: 7 of 30 customer messages were posted twice with three processes. A
process keeps the deliveries it is still making from the others' reclaims; one whose
process died is still taken back."""

from __future__ import annotations

import asyncio
import contextlib
import json

from redis.asyncio import Redis

from bot.model import Service
from stores.deliveries import DeliveryQueue
from stores.redis import Keys
from stores.streams import GROUP
from tests.conftest import BotFactory
from tests.emulators import meta_webhooks as meta

WA_ID = "447700909952"


async def test_a_slow_delivery_in_one_process_is_not_made_again_by_another(
    make_bot: BotFactory,
) -> None:
    first = await make_bot()
    second = await make_bot()  # another process on the same store
    made: list[str] = []
    finished = asyncio.Event()

    async def slow(body: bytes) -> str:
        made.append(json.loads(body)["id"])
        if len(made) == 1:  # waits its chat's turn: past two reclaim times (6 s)
            await asyncio.sleep(15)
            finished.set()
        return ""

    for bot in (first, second):
        bot.runtime.couriers.client.local["slow"] = slow
    service = Service("slow", "local:slow", secret="local", mask=False)
    await first.runtime.directory.define(service, with_token=False)
    await first.runtime.directory.attach(f"wa:{first.phone_number_id}", "slow")
    hello = meta.text_message(first.phone_number_id, WA_ID, "hi")
    assert (await first.post_whatsapp(hello)).status == 200
    # Other customers write meanwhile, through both: both processes deliver, and reclaim.
    for n in range(200):
        if finished.is_set():
            break
        other = meta.text_message(first.phone_number_id, f"4477009099{n:02d}", "hello")
        assert (await (first, second)[n % 2].post_whatsapp(other)).status == 200
        await _or_later(finished)
    await asyncio.wait_for(finished.wait(), 40)
    assert len(made) == len(set(made)), made


async def _or_later(finished: asyncio.Event) -> None:
    """Until ``finished``, or a short while: the pace of the other customers' messages."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(finished.wait(), 0.3)


async def test_a_kept_entry_stays_its_consumers_and_one_taken_since_is_not_kept(
    store: Redis, prefix: str
) -> None:
    queue = DeliveryQueue(store, Keys(prefix))
    stream = Keys(prefix).fanout("crm")
    await store.xgroup_create(stream, GROUP, id="0", mkstream=True)
    entry = await store.xadd(stream, {"e": "{}"})
    await store.xreadgroup(GROUP, "a", {stream: ">"}, count=1)
    await asyncio.sleep(1.1)  # idle past what the reclaim below takes back
    await queue.keep({"crm": [entry]}, "a")
    taken = await store.xautoclaim(stream, GROUP, "b", min_idle_time=1000, start_id="0-0")
    assert taken[1] == []  # kept: its idle time started again
    await asyncio.sleep(1.1)
    taken = await store.xautoclaim(stream, GROUP, "b", min_idle_time=1000, start_id="0-0")
    assert [found for found, _ in taken[1]] == [entry]  # not kept: taken back
    await queue.keep({"crm": [entry]}, "a")  # b's now: a keeps it no more
    pending = await store.xpending_range(stream, GROUP, "-", "+", 10)
    assert [p["consumer"] for p in pending] == ["b"]
