"""In webhook mode, a setWebhook that failed at the start (Telegram out of reach for a
moment, or refusing the URL) stopped the whole bot with a traceback: WhatsApp, the web
chat and the API did not come up either. The start says it, and the webhook is asked for
again in the background until Telegram takes it."""

from __future__ import annotations

import pytest

from tests.conftest import BotFactory
from tests.emulators.telegram_api import TelegramAPIEmulator, fake_token
from tests.test_telegram_runtime import telegram_bot


async def test_a_refused_set_webhook_is_asked_again_and_the_bot_runs(
    make_bot: BotFactory, caplog: pytest.LogCaptureFixture
) -> None:
    token, secret = fake_token(), "s3cret-" + "x" * 20
    async with TelegramAPIEmulator(token) as api:
        api.throttle("setWebhook", times=2, retry_after=1)
        tg = await telegram_bot(make_bot, api, token, mode="webhook", webhook_secret=secret)
        assert (await tg.bot.client.get("/healthz")).status == 200  # the rest is up
        assert any("did not take the webhook" in r.getMessage() for r in caplog.records)
        await api.wait_until(lambda: api.webhook_secret == secret, timeout=10)
        assert api.webhook_url.endswith("/webhooks/telegram")
        await tg.bot.stop()
