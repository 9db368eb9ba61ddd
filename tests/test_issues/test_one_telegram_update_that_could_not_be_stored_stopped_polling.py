"""One Telegram update that could not be stored (a text holding a lone surrogate, which no
UTF-8 store takes) made the polling task raise, and it ended for good, saying nothing:
no later update was fetched, no customer answered. Polling also ended for good when the
store could not be reached while it took its lease. Now such an update is logged and
left out, the ones after it are taken, and polling starts again once the store is back."""

from __future__ import annotations

import logging

import pytest
from redis.asyncio import Redis

from stores.redis import Keys
from tests.conftest import BotFactory
from tests.emulators.telegram_api import TelegramAPIEmulator, fake_token
from tests.test_crash import wait_until
from tests.test_telegram_runtime import CUSTOMER, TEAM_CHAT, telegram_bot


async def test_an_update_that_cannot_be_stored_is_left_out_and_polling_goes_on(
    make_bot: BotFactory, caplog: pytest.LogCaptureFixture
) -> None:
    token = fake_token()
    async with TelegramAPIEmulator(token) as api:
        api.add_group(TEAM_CHAT, "Team")
        await telegram_bot(make_bot, api, token)
        api.customer_text(CUSTOMER, "cut in two \ud83d", first_name="Cara")
        api.customer_text(CUSTOMER + 1, "hello", first_name="Dan")
        await api.wait_until(lambda: bool(api.messages_to(CUSTOMER + 1)), timeout=10)
        assert api.messages_to(CUSTOMER + 1)[0].text == "Welcome! How can we help?"
        api.customer_text(CUSTOMER + 2, "hello too", first_name="Eve")
        await api.wait_until(lambda: bool(api.messages_to(CUSTOMER + 2)), timeout=10)
    # Read, it is skipped before the store (a warning, not an error with a traceback).
    left_out = [r for r in caplog.records if "is skipped: not a Telegram update" in r.getMessage()]
    assert len(left_out) == 1 and left_out[0].levelno == logging.WARNING


async def test_polling_starts_again_once_the_store_takes_its_lease_again(
    make_bot: BotFactory, real_redis: Redis, caplog: pytest.LogCaptureFixture
) -> None:
    token = fake_token()
    async with TelegramAPIEmulator(token) as api:
        api.add_group(TEAM_CHAT, "Team")
        tg = await telegram_bot(make_bot, api, token)
        api.customer_text(CUSTOMER, "hello", first_name="Cara")
        await api.wait_until(lambda: bool(api.messages_to(CUSTOMER)), timeout=10)
        # The lease's key made one the store refuses to take as a lease (WRONGTYPE): each
        # renewal and each acquisition fails, as with a store that cannot be reached.
        lease = Keys(tg.bot.runtime.settings.key_prefix).lease(
            f"telegram:{token.partition(':')[0]}"
        )
        await real_redis.delete(lease)
        await real_redis.hset(lease, "not", "a lease")

        async def failed() -> str:
            said = any("Telegram polling failed" in r.getMessage() for r in caplog.records)
            return "" if said else "a line saying polling failed"

        await wait_until(failed, timeout=10)
        await real_redis.delete(lease)
        api.customer_text(CUSTOMER + 1, "hello again", first_name="Dan")
        await api.wait_until(lambda: bool(api.messages_to(CUSTOMER + 1)), timeout=15)
