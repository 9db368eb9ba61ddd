"""A service defined in the config file got its webhooks but could never act through the API.

The file gives a service no API token. On a Redis the operator issues one with
``admin services token``, but on the embedded store no admin command reaches the bot's
process, and ``POST /v1/services`` for the known service answered without a token: the
service heard every message and could never reply, claim or read a timeline. That call
now gives a service that has no token its first one, shown once; a service that has one
keeps it, and gets none in the answer.
"""

from __future__ import annotations

import secrets

from tests.conftest import BotFactory
from tests.test_api import call

ADMIN = "admin-" + secrets.token_hex(16)


async def test_posting_a_config_files_service_gives_it_its_first_token(
    make_bot: BotFactory,
) -> None:
    bot = await make_bot(admin_token=ADMIN)
    support = await bot.runtime.services.get("support")
    assert support is not None
    assert await bot.runtime.services.token_digest("support") == ""
    body = {"name": "support", "url": support.url, "secret": support.secret}

    answer = await call(bot, ADMIN, "POST", "/v1/services", body)

    assert answer.status == 201, answer.json
    token = answer.json["token"]
    numbers = await call(bot, token, "GET", "/v1/numbers")
    assert numbers.status == 200, numbers.json
    again = await call(bot, ADMIN, "POST", "/v1/services", body)
    assert again.status == 201, again.json
    assert "token" not in again.json
    assert (await call(bot, token, "GET", "/v1/numbers")).status == 200
