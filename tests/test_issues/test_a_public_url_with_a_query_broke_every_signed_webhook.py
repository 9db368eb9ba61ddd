"""A ``PUBLIC_URL`` with a query (``https://bot.example.com/?a=1``), a fragment or a user
and password in it was taken. Every address made from it went wrong: the SMS webhook's
signature was checked against ``https://bot.example.com/?a=1/webhooks/sms``, so every
Twilio message was refused 401, tracked links and file links pointed nowhere, and a user
and password would have gone out in every link sent to a customer. The start now stops,
naming ``PUBLIC_URL`` and what it must be: a scheme, a host, a port and a path."""

from __future__ import annotations

import pytest

from bot.config.settings import load_settings
from tests.config_run import environment, run_bot


@pytest.mark.parametrize(
    "public_url",
    [
        "https://bot.example.com/?a=1",
        "https://bot.example.com/#top",
        "https://bot.example.com?",
        "https://ann:secret@bot.example.com",
    ],
)
async def test_a_public_url_with_a_query_a_fragment_or_a_password_stops_the_start(
    public_url: str,
) -> None:
    code, output = await run_bot(environment(PUBLIC_URL=public_url), timeout=30)
    assert code == 2, output
    assert "PUBLIC_URL" in output and "no query" in output, output
    assert "secret" not in output, output


@pytest.mark.parametrize(
    "public_url", ["https://bot.example.com", "https://example.com:8443/switchboard/"]
)
def test_a_public_url_of_a_host_and_a_path_is_taken(public_url: str) -> None:
    settings = load_settings({"SWITCHBOARD_CONFIG": "/dev/null", "PUBLIC_URL": public_url})
    assert settings.public_url.startswith(public_url.rstrip("/"))
