"""A reply the Graph API had accepted was recorded as failed ("the process stopped during
the API call") when Redis was out of reach for 8 to 10 s: its record was tried from the
shard's worker, which was cancelled when the shard's lease could not be renewed, so the
record never came, and the shard's next holder failed the send as interrupted. Services
got ``failed``, never ``message.outbound``, and Meta's receipts matched nothing. The record
goes on in a task of its own, whatever becomes of the worker."""

from __future__ import annotations

import asyncio

from tests.conftest import Bot, BotFactory
from tests.emulators import meta_webhooks as meta
from tests.test_sending import WA_ID, agent_reply


async def test_the_record_of_a_sent_message_outlives_its_cancelled_worker(
    make_bot: BotFactory,
) -> None:
    bot = await make_bot()
    await bot.post_whatsapp(meta.text_message(bot.phone_number_id, WA_ID, "hi"))
    await bot.settle()
    outbound = agent_reply(bot, "On its way")
    sender, conversations = bot.runtime.sender, bot.runtime.conversations
    worker = asyncio.create_task(sender._completed(outbound, "wamid.went-out"))
    await asyncio.sleep(0)  # the record has started
    worker.cancel()  # as the worker of a shard whose lease is lost
    async with asyncio.timeout(10):
        await sender.settled(grace=10)
    states = await conversations.send_states([(outbound.conversation_id, outbound.send_id)])
    assert states == ["sent"]
    await told_it_went_out(bot, "wamid.went-out")


async def told_it_went_out(bot: Bot, provider_id: str) -> None:
    """The services heard the send of ``provider_id`` went out (``message.outbound``)."""
    sink = bot.sinks["support"]
    await sink.wait_for(
        lambda _: any(
            e["data"].get("provider_id") == provider_id for e in sink.events("message.outbound")
        ),
        timeout=5,
    )
