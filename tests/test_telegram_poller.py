"""One poller per bot token across processes (CH-3): exactly one polls; when it dies
another takes over within the lease's time to live; no update is processed twice and
none is lost."""

from __future__ import annotations

import asyncio
import time

import pytest
from redis.asyncio import Redis

from bot.config.settings import TelegramSettings
from bot.model import Identity, conversation_id
from stores.conversations import ConversationStore
from stores.redis import Keys
from tests.botprocess import BotProcess
from tests.conftest import REDIS_URL, BotFactory
from tests.emulators.telegram_api import TelegramAPIEmulator, fake_token

CUSTOMERS = range(5552000, 5552010)


async def inbound_texts(redis: Redis, prefix: str, number: str) -> dict[int, list[str]]:
    store = ConversationStore(redis, Keys(prefix))
    found = {}
    for user in CUSTOMERS:
        timeline = await store.timeline(conversation_id(number, Identity("tg", str(user))))
        found[user] = [str(m["text"]) for m in timeline if m["direction"] == "inbound"]
    return found


async def wait_for_all(
    redis: Redis, prefix: str, number: str, expected: dict[int, list[str]], timeout: float
) -> dict[int, list[str]]:
    deadline = time.monotonic() + timeout
    while True:
        found = await inbound_texts(redis, prefix, number)
        if found == expected or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.1)


async def test_two_runtimes_on_one_token_poll_one_at_a_time(
    make_bot: BotFactory, real_redis: Redis, prefix: str
) -> None:
    token = fake_token()
    number = f"tg:{token.partition(':')[0]}"
    async with TelegramAPIEmulator(token) as api:
        settings = TelegramSettings(token=token, api_base=api.base_url)
        bots = [
            await make_bot(whatsapp=False, telegram=settings, telegram_lease_ttl=2.0)
            for _ in range(2)
        ]
        await api.wait_for_poller()
        await asyncio.sleep(1.0)
        channels = [bot.runtime.channels.telegram for bot in bots]
        assert [c.polling for c in channels if c].count(True) == 1
        assert not api.conflicts
        expected: dict[int, list[str]] = {user: [] for user in CUSTOMERS}
        for user in CUSTOMERS:
            api.customer_text(user, f"before {user}")
            expected[user].append(f"before {user}")
        assert await wait_for_all(real_redis, prefix, number, expected, 10) == expected
        # The poller dies without letting go of its lease, as in a crash.
        holder = next(bot for bot, c in zip(bots, channels, strict=True) if c and c.polling)
        task = holder.runtime._telegram
        assert task is not None
        task.cancel()
        died = time.monotonic()
        for user in CUSTOMERS:
            api.customer_text(user, f"after {user}")
            expected[user].append(f"after {user}")
        assert await wait_for_all(real_redis, prefix, number, expected, 10) == expected
        other = next(c for c in channels if c and c is not holder.runtime.channels.telegram)
        assert other.polling
        taken_over = min(
            call.started_at for call in api.get_updates_calls if call.started_at > died
        )
        assert taken_over - died < 2.0 + 1.0  # within the lease's time to live
        assert not api.conflicts


@pytest.mark.slow
async def test_sigkill_of_the_poller_hands_the_token_over(real_redis: Redis, prefix: str) -> None:
    token = fake_token()
    number = f"tg:{token.partition(':')[0]}"
    async with TelegramAPIEmulator(token) as api:
        env = {
            "REDIS_URL": REDIS_URL,
            "SWITCHBOARD_KEY_PREFIX": prefix,
            "TELEGRAM_BOT_TOKEN": token,
            "TELEGRAM_API_BASE": api.base_url,
        }
        config = {"telegram": {"lease_ttl": 3}}
        first = BotProcess(env, config).start()
        try:
            await api.wait_for_poller()
            second = BotProcess(env, config).start()
            try:
                expected: dict[int, list[str]] = {user: [] for user in CUSTOMERS}
                for round_ in range(3):
                    for user in CUSTOMERS:
                        api.customer_text(user, f"m{round_} {user}")
                        expected[user].append(f"m{round_} {user}")
                    if round_ == 1:
                        first.kill()
                        killed = time.monotonic()
                    await asyncio.sleep(0.3)
                found = await wait_for_all(real_redis, prefix, number, expected, 20)
                assert found == expected, second.output()[-3000:]
                after = [c for c in api.get_updates_calls if c.started_at > killed]
                assert after and min(c.started_at for c in after) - killed < 3.0 + 1.5
                assert not api.conflicts
            finally:
                second.close()
        finally:
            first.close()
