"""With ``TELEGRAM_MODE=webhook`` and an https ``PUBLIC_URL`` on a port Telegram does not
post to (``https://bot.example.com:8080``, the bot's own port behind a TLS proxy), the bot
started and asked Telegram for a webhook there, which Telegram refuses ("webhook can be
set up only on ports 80, 88, 443 or 8443"): no Telegram message ever came in, and only a
log line every few minutes said why, as with an http ``PUBLIC_URL``. Against Telegram's
own Bot API the start now stops, naming the ports it takes."""

from __future__ import annotations

import pytest

from bot.config.settings import load_settings
from tests.config_run import environment, run_bot
from tests.test_issues.test_telegram_webhook_mode_without_public_url_started_deaf import (
    webhook_mode,
)


async def test_webhook_mode_on_a_port_telegram_refuses_stops_the_start() -> None:
    given = webhook_mode(PUBLIC_URL="https://bot.example.com:8080")
    code, output = await run_bot(environment(**given))
    assert code == 2, output
    assert "PUBLIC_URL" in output and "8443" in output, output


@pytest.mark.parametrize(
    "public_url",
    [
        "https://bot.example.com:8443",
        "https://bot.example.com:443/sb",
        "https://bot.example.com:88",
    ],
)
def test_the_ports_telegram_posts_to_are_taken(public_url: str) -> None:
    variables = {"SWITCHBOARD_CONFIG": "/dev/null", **webhook_mode(PUBLIC_URL=public_url)}
    assert load_settings(variables).telegram is not None
    own_server = webhook_mode(
        PUBLIC_URL="https://bot.example.com:8080", TELEGRAM_API_BASE="http://127.0.0.1:8081"
    )
    assert load_settings({"SWITCHBOARD_CONFIG": "/dev/null", **own_server}).telegram is not None
