"""STOP or START held only from the next batch of messages: a customer's message read in
the same batch as their STOP (Telegram hands up to 100 updates to a ``getUpdates``, a busy
shard reads many entries at once) was answered as from a customer still opted in, and one
read with their START as from one still opted out: no answer at all. The opt-out a
message makes now holds for the messages after it in its batch."""

from __future__ import annotations

import time

from bot.core.records import encode_item
from bot.model import Identity, Inbound
from stores.streams import Entry
from tests.conftest import Bot, BotFactory
from tests.emulators import meta_webhooks as meta

WA_ID = "447700900321"


async def _one_batch(bot: Bot, *texts: str) -> None:
    """The customer's ``texts`` read by the pipeline in one batch, as a shard reads them."""
    entries = [
        Entry(
            f"{time.time_ns()}-{n}",
            encode_item(
                Inbound(
                    channel="whatsapp",
                    number=f"wa:{bot.phone_number_id}",
                    provider_id=meta.new_message_id(),
                    sender=Identity("wa", WA_ID),
                    kind="text",
                    timestamp=time.time(),
                    text=text,
                )
            ),
        )
        for n, text in enumerate(texts)
    ]
    await bot.runtime.pipeline.process(entries)
    await bot.settle()


async def test_stop_and_start_hold_for_the_messages_after_them(make_bot: BotFactory) -> None:
    bot = await make_bot()
    assert bot.graph is not None
    await bot.post_whatsapp(meta.text_message(bot.phone_number_id, WA_ID, "hello"))
    await bot.graph.wait_for_sent(1)  # the welcome
    await _one_batch(bot, "STOP", "price")
    cid = bot.conversation(WA_ID)
    assert (await bot.runtime.conversations.meta(cid))["opted_out"] == "1"
    replies = [
        m for m in await bot.runtime.conversations.timeline(cid) if m["direction"] != "inbound"
    ]
    assert len(replies) == 1, replies  # the welcome: no answer to "price" was even tried
    await _one_batch(bot, "START", "hours")
    sent = await bot.graph.wait_for_sent(2)
    assert [s.text for s in sent] == ["Welcome! How can we help?", "We open at 9."], sent
