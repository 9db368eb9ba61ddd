"""A switch of a Telegram bot from polling to webhook mode on one Redis (a process in
webhook mode started beside the polling one, the polling one stopped after) lost every
update from then on: the poller, refused with "can't use getUpdates method while webhook
is active", deleted the webhook the new process had just set, and stopped; nobody polled
and no webhook was set, while the new process said it was up. A process in webhook mode
says so in Redis while it runs, and a poller leaves its webhook be."""

from __future__ import annotations

import pytest

from tests.conftest import BotFactory
from tests.emulators.telegram_api import TelegramAPIEmulator, fake_token
from tests.test_telegram_runtime import telegram_bot

CUSTOMER = 5551130


async def test_a_poller_leaves_the_webhook_of_a_process_in_webhook_mode(
    make_bot: BotFactory, caplog: pytest.LogCaptureFixture
) -> None:
    token, secret = fake_token(), "s3cret-" + "y" * 20
    async with TelegramAPIEmulator(token) as api:
        polling = await telegram_bot(make_bot, api, token)
        await api.wait_until(
            lambda: any(r.api_method == "getUpdates" and r.status == 200 for r in api.requests),
            timeout=10,
        )
        hooked = await telegram_bot(make_bot, api, token, mode="webhook", webhook_secret=secret)
        await api.wait_until(lambda: api.webhook_secret == secret, timeout=10)
        set_at = len(api.requests)
        refused = "can't use getUpdates method while webhook is active"
        await api.wait_until(
            lambda: any(
                r.api_method == "getUpdates" and refused in (r.description or "")
                for r in api.requests[set_at:]
            ),
            timeout=15,
        )
        await polling.bot.stop()  # the old mode's process goes
        assert api.webhook_url.endswith("/webhooks/telegram")
        assert not [r for r in api.requests if r.api_method == "deleteWebhook"]
        api.customer_text(CUSTOMER, "hello")  # Telegram posts it to the webhook
        await api.wait_for_webhook_attempts(1)
        assert "webhook mode" in caplog.text
        await hooked.bot.stop()
