"""Regression: a Telegram poller paused past its lease polled again when it resumed (CH-3).

Two processes share one bot token; one polls under a lease. When the poller was paused
(SIGSTOP) long enough to lose its lease, the other process took over. On SIGCONT the
paused poller called getUpdates again at once, with its old offset: it was handed
updates that were no longer its to take, and it cut off the new holder's long poll with
a 409. Its lease was checked every third of its time to live, not before each call.

The test pauses the poller while its long poll waits, lets that poll end and the lease
lapse, waits until the other process holds the lease and waits in a long poll of its
own, and resumes the paused one. The resumed process must see that it lost the lease
without polling: the new holder's long poll is never cut off, and a customer's message
written afterwards is stored once.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Awaitable, Callable

import pytest
from redis.asyncio import Redis

from bot.model import Identity, conversation_id
from stores.conversations import ConversationStore
from stores.redis import Keys
from tests.botprocess import BotProcess
from tests.conftest import REDIS_URL
from tests.emulators.telegram_api import TelegramAPIEmulator, fake_token

CUSTOMER = 5553001
LOST = "lost the Telegram polling lease"


async def holder_pid(redis: Redis, key: str) -> int | None:
    """The process id in the lease's holder (``host:pid:nonce``); None while nobody holds it."""
    holder = await redis.get(key)
    return int(holder.split(":")[1]) if holder else None


async def wait_for(check: Callable[[], Awaitable[bool]], timeout: float, what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    done = await check()
    while not done:
        if loop.time() > deadline:
            raise TimeoutError(f"waited {timeout} s for {what}")
        await asyncio.sleep(0.05)
        done = await check()


@pytest.mark.slow
async def test_a_poller_paused_past_its_lease_does_not_poll_when_it_resumes(
    real_redis: Redis, prefix: str
) -> None:
    token = fake_token()
    bot_id = token.partition(":")[0]
    lease = Keys(prefix).lease(f"telegram:{bot_id}")
    async with TelegramAPIEmulator(token) as api:
        env = {
            "REDIS_URL": REDIS_URL,
            "SWITCHBOARD_KEY_PREFIX": prefix,
            "TELEGRAM_BOT_TOKEN": token,
            "TELEGRAM_API_BASE": api.base_url,
        }
        # Longer than getUpdates' 5 s wait: the paused poll ends before the lease lapses.
        config = {"telegram": {"lease_ttl": 10}}
        first, second = BotProcess(env, config), BotProcess(env, config)
        try:
            await asyncio.to_thread(first.start)
            await api.wait_for_poller()
            await asyncio.to_thread(second.start)
            assert first.process is not None and second.process is not None
            paused, other = first.process.pid, second.process.pid
            assert await holder_pid(real_redis, lease) == paused
            waiting = await api.wait_for_poller()  # the first's long poll
            os.kill(paused, signal.SIGSTOP)
            try:

                async def taken_over() -> bool:
                    return await holder_pid(real_redis, lease) == other

                await wait_for(taken_over, 20, "the other process to take the lease")

                def new_holder_waits() -> bool:
                    now = api.waiting_poll
                    ended = waiting.finished_at
                    return now is not None and ended is not None and now.started_at > ended

                await api.wait_until(new_holder_waits, 10, "the new holder's long poll")
                cut_off_before = len(api.conflicts)
            finally:
                os.kill(paused, signal.SIGCONT)

            async def noticed() -> bool:
                return LOST in first.output()

            await wait_for(noticed, 10, "the resumed process to see its lease is gone")
            api.customer_text(CUSTOMER, "after the pause")
            store = ConversationStore(real_redis, Keys(prefix))
            cid = conversation_id(f"tg:{bot_id}", Identity("tg", str(CUSTOMER)))

            async def inbound() -> list[str]:
                timeline = await store.timeline(cid)
                return [str(m["text"]) for m in timeline if m["direction"] == "inbound"]

            async def stored() -> bool:
                return bool(await inbound())

            await wait_for(stored, 15, "the customer's message in the thread")
            assert await inbound() == ["after the pause"]
            assert api.conflicts[cut_off_before:] == [], "the new holder's long poll was cut off"
        finally:
            await asyncio.to_thread(second.close)
            await asyncio.to_thread(first.close)
