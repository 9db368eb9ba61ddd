"""A welcome waiting for a slot of Telegram's sending rate survives a kill -9 of its process.

As a user saw it: two ``python bot.py`` on one Redis with Telegram polling, 200 new
customers writing at about 33 a second, the poller killed with -9 after about 50 welcomes.
The survivor took over in about 4 s and every inbound message reached the services, but 2
or 3 customers never got their welcome: their timeline held the outbound message with no
status and no provider id, minutes later still. Each had been claimed (never to be sent
twice) before it waited for its rate slot; the survivor found the claim and let it go.

What must hold: every customer gets exactly one welcome, or the send fails with a reason
(only a send whose API call the kill interrupted: its outcome is unknown, REL-3).

Here the customers write at 60 a second, twice Telegram's bulk rate, so that some 50
welcomes wait for their slot when the poller dies: before the fix, 8 to 19 were lost
each time.
"""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from redis.asyncio import Redis

from bot.model import Identity, conversation_id
from stores.conversations import ConversationStore
from stores.redis import Keys
from tests.botprocess import INTERRUPTED_SOONER, BotProcess
from tests.conftest import REDIS_URL
from tests.emulators.telegram_api import TelegramAPIEmulator, fake_token

pytestmark = pytest.mark.slow

CUSTOMERS = [5553000 + n for n in range(200)]
PER_SECOND = 60
KILL_AFTER = 50
WELCOME = "Welcome!"
SETTLE_SECONDS = 90.0
"""The poller's lease lives 3 s and the shards' 5 s. A send the kill cut short inside its
API call fails once its claim is older than any attempt (``INTERRUPTED_AFTER``, 30 s as
shipped, 10 s in these processes: either may be the one that takes over)."""


async def welcome_outcomes(
    redis: Redis, prefix: str, number: str, api: TelegramAPIEmulator
) -> tuple[Counter[int], dict[int, str]]:
    """Welcomes each customer got, and each welcome's status in their timeline."""
    got = Counter(m.chat_id for m in api.sent if m.method == "sendMessage" and m.text == WELCOME)
    store = ConversationStore(redis, Keys(prefix))
    statuses = {}
    for user in CUSTOMERS:
        timeline = await store.timeline(conversation_id(number, Identity("tg", str(user))))
        welcomes = [m for m in timeline if m["direction"] == "outbound"]
        statuses[user] = str(welcomes[0].get("status", "")) if welcomes else "not queued"
    return got, statuses


def unsettled(got: Counter[int], statuses: dict[int, str]) -> list[int]:
    """Customers with neither a welcome nor a failed send."""
    return [user for user in CUSTOMERS if not got[user] and statuses[user] != "failed"]


async def test_welcomes_waiting_for_the_rate_survive_a_kill_of_the_poller(
    real_redis: Redis, prefix: str
) -> None:
    token = fake_token(7000000042)
    number = f"tg:{token.partition(':')[0]}"
    async with TelegramAPIEmulator(token) as api:
        env = {
            "REDIS_URL": REDIS_URL,
            "SWITCHBOARD_KEY_PREFIX": prefix,
            "TELEGRAM_BOT_TOKEN": token,
            "TELEGRAM_API_BASE": api.base_url,
        }
        config = {"telegram": {"lease_ttl": 3}, "automation": {"welcome": WELCOME}}
        bots = [BotProcess(env, config, constants=INTERRUPTED_SOONER) for _ in range(2)]
        try:
            await asyncio.to_thread(bots[0].start)
            await api.wait_for_poller()
            await asyncio.to_thread(bots[1].start)

            async def customers_write() -> None:
                for user in CUSTOMERS:
                    api.customer_text(user, "hello", first_name=f"Customer {user}")
                    await asyncio.sleep(1 / PER_SECOND)

            writing = asyncio.create_task(customers_write())
            await api.wait_until(
                lambda: sum(m.text == WELCOME for m in api.sent) >= KILL_AFTER, 30, "welcomes"
            )
            holder = await real_redis.get(Keys(prefix).lease(f"telegram:{token.split(':')[0]}"))
            poller = next(b for b in bots if b.process and f":{b.process.pid}:" in str(holder))
            await asyncio.to_thread(poller.kill)
            at_kill = sum(m.text == WELCOME for m in api.sent)
            survivor = next(b for b in bots if b is not poller)
            await writing

            loop = asyncio.get_running_loop()
            deadline = loop.time() + SETTLE_SECONDS
            got, statuses = await welcome_outcomes(real_redis, prefix, number, api)
            while unsettled(got, statuses) and loop.time() < deadline:
                await asyncio.sleep(0.5)
                got, statuses = await welcome_outcomes(real_redis, prefix, number, api)
            lost = unsettled(got, statuses)
            failed = [user for user in CUSTOMERS if statuses[user] == "failed"]
            print(
                f"\nkilled the poller after {at_kill} welcomes: {sum(1 for u in got if got[u])} "
                f"customers got one, {len(lost)} lost, {len(failed)} failed with a reason"
            )
            assert not lost, (
                f"{len(lost)} customers never got their welcome, and it never failed: "
                f"{[(user, statuses[user]) for user in lost][:5]}\n{survivor.output()[-3000:]}"
            )
            assert max(got.values()) == 1, "a customer got two welcomes"
            assert len(failed) <= 2
            # Telegram's ~30 a second (33 ms slots: 152 in 5 s) held through the crash and
            # the takeover (CH-6); over 5 s, as the emulator stamps a send when this test's
            # event loop gets to it.
            assert api.max_rate(5.0) <= 152 + 2
        finally:
            for bot in bots:
                await asyncio.to_thread(bot.close)
