"""The Docker image sets HOST=0.0.0.0, and PUBLIC_URL defaults to http://HOST:PORT: run
without PUBLIC_URL, the web chat showed files from http://0.0.0.0:8080, which browsers
block and other machines cannot reach, and nothing said why. The start now says so in one
line, naming PUBLIC_URL."""

from __future__ import annotations

import asyncio

import pytest

from tests.botprocess import BotProcess

WARNING = "PUBLIC_URL is unset and HOST=0.0.0.0 listens on every address"


@pytest.mark.parametrize(
    ("env", "warned"),
    [
        ({"HOST": "0.0.0.0"}, True),
        ({"HOST": "0.0.0.0", "PUBLIC_URL": "https://chat.example.com"}, False),
    ],
)
async def test_a_start_without_public_url_on_every_address_says_to_set_it(
    env: dict[str, str], warned: bool
) -> None:
    bot = BotProcess(env)
    await asyncio.to_thread(bot.start)
    try:
        assert (WARNING in bot.output()) is warned
        if warned:
            assert "set PUBLIC_URL" in bot.output()
    finally:
        assert await asyncio.to_thread(bot.stop) == 0
        bot.close()
