"""A Telegram update whose ``venue`` was not an object, or whose sender was ``null``, was
answered 503 "retry later", with an error and a traceback in the log.

As Telegram would have seen it: an update that can never be read, resent for ever (a
503 asks for that). README says an update whose fields are wrong is refused with a 400,
and REL-4 that input never makes the process fail. A ``venue`` that is no object is a
400 now, in both adapters; a message from nobody (``"from": null``) is taken as the
updates with no customer in them are: acknowledged, and nothing more.
"""

from __future__ import annotations

import pytest

from tests.conftest import BotFactory
from tests.emulators.telegram_api import SECRET_HEADER, TelegramAPIEmulator, fake_token
from tests.test_issues.test_a_telegram_update_that_broke_its_reading_was_a_503 import message
from tests.test_telegram_runtime import telegram_bot

SECRET = "s3cret-" + "y" * 20


@pytest.mark.parametrize("framework", ["aiogram", "ptb"])
async def test_wrong_fields_are_a_400_and_a_message_from_nobody_is_skipped(
    make_bot: BotFactory, framework: str
) -> None:
    pytest.importorskip("telegram" if framework == "ptb" else "aiogram")
    token = fake_token()
    async with TelegramAPIEmulator(token) as api:
        tg = await telegram_bot(
            make_bot, api, token, mode="webhook", webhook_secret=SECRET, framework=framework
        )

        async def post(update: dict[str, object]) -> int:
            answer = await tg.bot.client.post(
                "/webhooks/telegram", json=update, headers={SECRET_HEADER: SECRET}
            )
            return answer.status

        for n, venue in enumerate(("x", 7, 1.5, True, ["a"]), 1):
            assert await post({"update_id": n, "message": message(n, venue=venue)}) == 400
        nobody = {**message(20, text="hi"), "from": None}
        assert await post({"update_id": 20, "message": nobody}) == 200
        place = {"title": "Café", "address": "1 Rue", "location": {"latitude": 1, "longitude": 2}}
        assert await post({"update_id": 21, "message": message(21, venue=place)}) == 200
