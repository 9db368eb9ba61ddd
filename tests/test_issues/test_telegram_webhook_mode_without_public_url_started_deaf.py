"""With ``TELEGRAM_MODE=webhook`` and no ``PUBLIC_URL``, the bot started and asked Telegram
to post updates to ``http://127.0.0.1:8080/webhooks/telegram``: an address Telegram
cannot reach, over http, which it refuses ("An HTTPS URL must be provided"). No Telegram
message ever came in, and the start said nothing about it but a log line that repeated
every few minutes. Against Telegram's own Bot API, webhook mode without an https
``PUBLIC_URL`` now stops the start, naming it, as a half-configured channel does. A Bot
API server of one's own (``TELEGRAM_API_BASE``) may post to the bot where it listens."""

from __future__ import annotations

import secrets

import pytest

from bot.config.settings import load_settings
from tests.config_run import environment, run_bot
from tests.emulators.telegram_api import fake_token


def webhook_mode(**variables: str) -> dict[str, str]:
    return {
        "TELEGRAM_BOT_TOKEN": fake_token(),
        "TELEGRAM_MODE": "webhook",
        "TELEGRAM_WEBHOOK_SECRET": secrets.token_urlsafe(24),
        **variables,
    }


@pytest.mark.parametrize("public_url", [None, "http://bot.example.com"])
async def test_webhook_mode_needs_an_https_public_url(public_url: str | None) -> None:
    given = {} if public_url is None else {"PUBLIC_URL": public_url}
    code, output = await run_bot(environment(**webhook_mode(**given)))
    assert code == 2, output
    assert "TELEGRAM_MODE=webhook needs PUBLIC_URL" in output, output


def test_an_https_public_url_or_an_own_bot_api_server_is_taken() -> None:
    variables = {"SWITCHBOARD_CONFIG": "/dev/null"}
    https = load_settings({**variables, **webhook_mode(PUBLIC_URL="https://bot.example.com")})
    assert https.telegram is not None and https.telegram.mode == "webhook"
    own_server = webhook_mode(TELEGRAM_API_BASE="http://127.0.0.1:8081")
    assert load_settings({**variables, **own_server}).telegram is not None
