"""A batch redone (its worker's lease lapsed in a Redis stall, and another process took
its shard) told the services its messages again, as at-least-once delivery allows, but
each ``message.inbound`` with the same id and another ``timestamp``: the time of each
working, not of the message. A service that orders by ``timestamp``, or compares a
delivery with ``GET /v1/events``, saw one event with two bodies. The event's time is
when its message was taken in (its entry in the inbound log), whoever works it."""

from __future__ import annotations

import secrets
import time

from bot.core.records import encode_item
from bot.model import Identity, Inbound, Service
from stores.streams import Entry, entry_time
from tests.conftest import BotFactory
from tests.emulators.sink import SubscriberSink
from tests.test_api import WA_ID, say


async def test_a_redone_message_is_told_with_the_same_body(make_bot: BotFactory) -> None:
    bot = await make_bot()
    number = f"wa:{bot.phone_number_id}"
    await say(bot, "hello")
    runtime = bot.runtime
    secret = secrets.token_hex(16)
    async with SubscriberSink(secret) as crm:
        await runtime.directory.define(Service("crm", crm.url, secret), with_token=False)
        await runtime.directory.attach(number, "crm")
        message = Inbound(
            channel="whatsapp",
            number=number,
            provider_id="wamid.redone",
            sender=Identity("wa", WA_ID),
            kind="text",
            timestamp=time.time() - 5,
            text="worked twice",
        )
        taken = f"{int(time.time() * 1000) - 2000}-3"
        await runtime.pipeline.process([Entry(taken, encode_item(message))])
        await runtime.pipeline.process([Entry(taken, encode_item(message), redone=True)])
        await crm.wait_for_count(2, type="message.inbound")
        first, again = crm.events("message.inbound")
        assert first == again
        assert first["timestamp"] == entry_time(taken)


def test_an_entry_s_time_is_its_id_s() -> None:
    assert entry_time("1796663329038-0") == 1796663329.038
    assert entry_time("1796663329038-2") == 1796663329.038002
    assert entry_time("1796663329038-5000") == 1796663329.038999
    for none in ("1-0", "", "x-1", "1796663329038-x", "-", "1796663329038"):
        assert entry_time(none) == (1796663329.038 if none == "1796663329038" else 0.0), none
