"""While Redis was out of reach, the Telegram poller said "Telegram polling failed ...;
starting again" at each of its tries, one a second for as long as the outage lasted,
where every other loop says a store failure in one line every few seconds, as README
promises. It says it so too now: one line, then one every few seconds with how many
were kept quiet."""

from __future__ import annotations

import logging

import pytest
from redis.asyncio import Redis

from stores.leases import Leases
from stores.redis import Keys
from tests.conftest import BotFactory
from tests.emulators.telegram_api import TelegramAPIEmulator, fake_token
from tests.test_crash import wait_until
from tests.test_telegram_runtime import CUSTOMER, TEAM_CHAT, telegram_bot


async def test_a_store_failing_the_poller_is_one_line_every_few_seconds(
    make_bot: BotFactory,
    real_redis: Redis,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tries: list[str] = []
    grant = Leases.grant

    async def counted(self: Leases, name: str, ttl_ms: int) -> object:
        if name.startswith("telegram:"):
            tries.append(name)
        return await grant(self, name, ttl_ms)

    monkeypatch.setattr(Leases, "grant", counted)
    token = fake_token()
    async with TelegramAPIEmulator(token) as api:
        api.add_group(TEAM_CHAT, "Team")
        tg = await telegram_bot(make_bot, api, token)
        api.customer_text(CUSTOMER, "hello", first_name="Cara")
        await api.wait_until(lambda: bool(api.messages_to(CUSTOMER)), timeout=15)
        # The lease's key made one the store refuses to take as a lease (WRONGTYPE): each
        # try fails on the store, as in a Redis outage.
        lease = Keys(tg.bot.runtime.settings.key_prefix).lease(
            f"telegram:{token.partition(':')[0]}"
        )
        await real_redis.delete(lease)
        await real_redis.hset(lease, "not", "a lease")
        failing_since = len(tries)

        async def tried() -> str:
            return "" if len(tries) >= failing_since + 5 else "five failed tries"

        await wait_until(tried, timeout=20)
        await real_redis.delete(lease)
        api.customer_text(CUSTOMER + 1, "hello again", first_name="Dan")
        await api.wait_until(lambda: bool(api.messages_to(CUSTOMER + 1)), timeout=15)
    said = [
        r
        for r in caplog.records
        if r.name == "bot.channels.telegram" and "polling failed" in r.getMessage()
    ]
    assert 1 <= len(said) <= 2, [r.getMessage() for r in said]
    assert not [r for r in said if r.levelno >= logging.ERROR or r.exc_info]
