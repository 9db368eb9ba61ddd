"""A Telegram webhook whose body was JSON but no object (an array, a number, a string)
was refused with 400 "not a Telegram update: it is a JSON object", which says the body
was one. The refusal names what came now."""

from __future__ import annotations

import json

import pytest

from tests.conftest import BotFactory
from tests.emulators.telegram_api import SECRET_HEADER, TelegramAPIEmulator, fake_token
from tests.test_telegram_runtime import telegram_bot

SECRET = "s3cret-" + "z" * 20


@pytest.mark.parametrize("framework", ["aiogram", "ptb"])
async def test_a_body_of_no_object_is_refused_naming_what_it_is(
    make_bot: BotFactory, framework: str
) -> None:
    pytest.importorskip("telegram" if framework == "ptb" else "aiogram")
    token = fake_token()
    async with TelegramAPIEmulator(token) as api:
        tg = await telegram_bot(
            make_bot, api, token, mode="webhook", webhook_secret=SECRET, framework=framework
        )
        for body, what in (([], "an array"), (7, "a number"), ("hi", "a string"), (None, "null")):
            headers = {SECRET_HEADER: SECRET, "Content-Type": "application/json"}
            answer = await tg.bot.client.post(
                "/webhooks/telegram", data=json.dumps(body), headers=headers
            )
            assert answer.status == 400
            error = (await answer.json())["error"]
            assert error == f"not a Telegram update: an update is a JSON object, not {what}"
