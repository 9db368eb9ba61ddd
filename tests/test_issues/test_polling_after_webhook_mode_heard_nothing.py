"""A bot run in webhook mode, then started in polling mode, heard nothing: every getUpdates
got Telegram's 409 "can't use getUpdates method while webhook is active", logged as
another poller, and Telegram went on posting to the webhook. Polling deletes the webhook
now, keeping the updates waiting for it."""

from __future__ import annotations

from bot.config.settings import TelegramSettings
from tests.conftest import BotFactory
from tests.emulators.telegram_api import TelegramAPIEmulator, fake_token
from tests.test_telegram_runtime import CUSTOMER, TEAM


async def test_polling_ends_a_webhook_left_by_webhook_mode(make_bot: BotFactory) -> None:
    token = fake_token()
    async with TelegramAPIEmulator(token, webhook_max_attempts=1) as api:
        api.webhook_url = "http://127.0.0.1:9/webhooks/telegram"  # an old deploy, gone
        api.customer_text(CUSTOMER, "hello?")  # waiting for the webhook
        settings = TelegramSettings(token=token, api_base=api.base_url, mode="polling")
        bot = await make_bot(whatsapp=False, telegram=settings, team=TEAM, telegram_lease_ttl=2.0)
        await api.wait_until(lambda: bool(api.messages_to(CUSTOMER)), timeout=15)
        assert api.webhook_url == ""
        assert api.messages_to(CUSTOMER)[0].text == "Welcome! How can we help?"
        await bot.stop()
