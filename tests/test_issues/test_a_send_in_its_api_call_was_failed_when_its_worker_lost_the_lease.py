"""A reply the Graph API took while Redis was out of reach for a few seconds was recorded
as failed, "interrupted: the process stopped during the API call", though no process
stopped: the shard's worker was cancelled when its lease could not be renewed, which cut
the send's API call short after the provider had taken it, and the shard's next holder
failed the send as interrupted. The customer had the message; the services and the
thread said it failed. The call goes on now, whatever becomes of the worker, and what it
came to is recorded."""

from __future__ import annotations

import asyncio

import pytest

from tests.conftest import BotFactory
from tests.emulators import meta_webhooks as meta
from tests.test_issues.test_a_send_that_went_out_was_failed_when_its_worker_lost_the_lease import (
    told_it_went_out,
)
from tests.test_sending import WA_ID, agent_reply


async def test_a_call_under_way_outlives_its_cancelled_worker(make_bot: BotFactory) -> None:
    bot = await make_bot()
    graph = bot.graph
    assert graph is not None
    await bot.post_whatsapp(meta.text_message(bot.phone_number_id, WA_ID, "hi"))
    await bot.settle()
    outbound = agent_reply(bot, "On its way")
    sender, conversations = bot.runtime.sender, bot.runtime.conversations
    worker = asyncio.create_task(sender._perform(outbound))
    taken: list[str] = []

    async def lease_lost(message_id: str) -> None:
        taken.append(message_id)
        worker.cancel()  # as the worker of a shard whose lease is lost, mid-call
        await asyncio.sleep(0.05)

    graph.before_answer = lease_lost
    with pytest.raises(asyncio.CancelledError):
        await worker
    assert len(taken) == 1  # the provider took it
    async with asyncio.timeout(10):
        await sender.settled(grace=10)
    states = await conversations.send_states([(outbound.conversation_id, outbound.send_id)])
    assert states == ["sent"]
    await told_it_went_out(bot, taken[0])
