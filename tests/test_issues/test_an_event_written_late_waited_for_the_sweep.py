"""An event waited 30 s for its delivery when the round trip that queued it reached Redis
late: with the process busy (200 services failing their deliveries), more than 0.1 s
after the event was put on the pipeline.

The fan-out's reader was told of the event when it was put on the caller's pipeline, and
looked for it for 0.1 s. When the pipeline was sent later than that, the reader had
stopped looking, and the event waited for the reader's sweep of every queue, 30 s on.
The reader is now told once the pipeline has been sent. On the real Redis and the
embedded store alike."""

from __future__ import annotations

import asyncio

import pytest

from bot.core.couriers import HOT_SECONDS
from bot.model import Event
from tests.conftest import BotFactory

PROMPT = 5.0
"""Seconds the delivery may take: the sweep came 30 s on."""


@pytest.mark.parametrize("embedded", [False, True], ids=["redis", "embedded"])
async def test_an_event_sent_late_after_it_was_queued_goes_out_at_once(
    make_bot: BotFactory, embedded: bool
) -> None:
    bot = await make_bot(**({"redis_url": None} if embedded else {}))
    runtime = bot.runtime
    number = f"wa:{bot.phone_number_id}"
    first = Event.new("message.inbound", number, {"text": "first"})
    late = Event.new("message.inbound", number, {"text": "late"})

    await runtime.fanout.publish([first])  # the reader has read the queues since it started
    await bot.sinks["support"].wait_for_count(1, "message.inbound", timeout=PROMPT)

    async with runtime.store.round_trip() as pipe:
        await runtime.fanout.queue_events(pipe, [late])
        await asyncio.sleep(3 * HOT_SECONDS)  # the writer is held up before its round trip
        await pipe.execute()

    await bot.sinks["support"].wait_for_count(2, "message.inbound", timeout=PROMPT)
    assert [d.event["id"] for d in bot.sinks["support"].deliveries] == [first.id, late.id]
