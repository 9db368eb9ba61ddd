"""Regression: an inbound entry read by a shard's stale holder was never worked (REL-1).

A process holding a shard waits on it in a blocking read. Paused (SIGSTOP, a stalled VM)
past its lease, it loses the shard to another process, whose read waits behind its own:
Redis hands a new entry to the read that waited first, the paused one's. The entry was
then pending under a holder that was cut off from the shard: cancelled as it resumed,
or killed; the new holder only takes over what is pending when it starts, so the
customer's message was never stored, nor fanned out, nor answered.

Both tests let the first process work the shard alone, pause it while its read waits,
let the second take the shard, and write to the second: the entry goes to the paused
one's read. The message must be worked once whether the paused process resumes or is
killed.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
import pytest
from redis.asyncio import Redis

from bot.model import Identity, conversation_id
from stores.conversations import ConversationStore
from stores.redis import Keys
from stores.streams import GROUP
from tests.botprocess import BotProcess
from tests.conftest import PHONE_NUMBER_ID
from tests.emulators import meta_webhooks as meta
from tests.test_issues.test_a_stale_telegram_poller_is_fenced import holder_pid, wait_for
from tests.whatsapp_process import WhatsAppSetup, whatsapp_setup

CUSTOMER = "447700900555"


async def post(bot: BotProcess, whatsapp: WhatsAppSetup, text: str) -> None:
    raw, headers = whatsapp.signed(meta.text_message(PHONE_NUMBER_ID, CUSTOMER, text))
    async with (
        aiohttp.ClientSession() as client,
        client.post(f"{bot.url}/webhooks/whatsapp", data=raw, headers=headers) as response,
    ):
        assert response.status == 200


async def strand_an_entry(
    redis: Redis, prefix: str, whatsapp: WhatsAppSetup, first: BotProcess, second: BotProcess
) -> None:
    """Leave the first process paused with a customer's entry in its read."""
    keys = Keys(prefix)
    store = ConversationStore(redis, keys)
    cid = conversation_id(f"wa:{PHONE_NUMBER_ID}", Identity("wa", CUSTOMER))
    inbound = keys.inbound(0)
    await asyncio.to_thread(first.start)
    assert first.process is not None
    paused = first.process.pid
    await post(first, whatsapp, "before the pause")

    async def first_stored() -> bool:
        return any(m["text"] == "before the pause" for m in await store.timeline(cid))

    await wait_for(first_stored, 20, "the first message in the thread")

    async def waiting_again() -> bool:  # acknowledged with the next read, in one round trip
        pending = await redis.xpending(inbound, GROUP)
        return pending["pending"] == 0

    await wait_for(waiting_again, 10, "the first process waiting on its shard again")
    os.kill(paused, signal.SIGSTOP)
    await asyncio.to_thread(second.start)
    assert second.process is not None
    other = second.process.pid

    async def taken_over() -> bool:
        return await holder_pid(redis, keys.lease("shard:0")) == other

    await wait_for(taken_over, 20, "the second process to take the shard")
    await post(second, whatsapp, "after the pause")

    async def read_by_the_paused_one() -> bool:
        pending = await redis.xpending(inbound, GROUP)
        return any(f":{paused}:" in consumer["name"] for consumer in pending["consumers"])

    await wait_for(read_by_the_paused_one, 10, "the paused process's read to take the entry")


async def worked_once(redis: Redis, prefix: str, timeout: float) -> None:
    store = ConversationStore(redis, Keys(prefix))
    cid = conversation_id(f"wa:{PHONE_NUMBER_ID}", Identity("wa", CUSTOMER))

    async def texts() -> list[str]:
        timeline = await store.timeline(cid)
        return [str(m["text"]) for m in timeline if m["direction"] == "inbound"]

    async def stored() -> bool:
        return "after the pause" in await texts()

    await wait_for(stored, timeout, "the message taken by the paused process in the thread")
    assert await texts() == ["before the pause", "after the pause"]


@asynccontextmanager
async def an_entry_in_a_paused_read(redis: Redis, prefix: str) -> AsyncIterator[BotProcess]:
    """Two processes on one shard, the first paused with a customer's entry in its read;
    both closed at the end."""
    async with whatsapp_setup(prefix) as whatsapp:
        env = {**whatsapp.env, "SWITCHBOARD_SHARDS": "1"}
        first, second = BotProcess(env, whatsapp.config), BotProcess(env, whatsapp.config)
        try:
            await strand_an_entry(redis, prefix, whatsapp, first, second)
            yield first
        finally:
            await asyncio.to_thread(second.close)
            await asyncio.to_thread(first.close)


@pytest.mark.slow
async def test_an_entry_a_paused_holder_read_is_worked_when_it_resumes(
    real_redis: Redis, prefix: str
) -> None:
    async with an_entry_in_a_paused_read(real_redis, prefix) as paused:
        assert paused.process is not None
        os.kill(paused.process.pid, signal.SIGCONT)
        await worked_once(real_redis, prefix, 15)


@pytest.mark.slow
async def test_an_entry_a_paused_holder_read_is_worked_when_it_is_killed(
    real_redis: Redis, prefix: str
) -> None:
    async with an_entry_in_a_paused_read(real_redis, prefix) as paused:
        await asyncio.to_thread(paused.kill)
        # Taken over by the new holder once no read of the old one can still wait.
        await worked_once(real_redis, prefix, 45)
