"""A reply Telegram refused reached the services as ``message.status`` ``failed`` with
an empty ``error_code``, whether the customer had blocked the bot (403) or the chat was
gone (400 "chat not found"): docs/api.md gives a failure with the provider's code, which
the services read to tell one from the other. The Bot API's ``error_code`` is given, with
either framework."""

from __future__ import annotations

import pytest

from tests.conftest import BotFactory
from tests.emulators.telegram_api import TelegramAPIEmulator, fake_token
from tests.test_telegram_runtime import CUSTOMER, TEAM_CHAT, telegram_bot


@pytest.mark.parametrize("framework", ["aiogram", "ptb"])
async def test_a_refused_send_says_the_bot_api_s_code(make_bot: BotFactory, framework: str) -> None:
    token = fake_token()
    async with TelegramAPIEmulator(token) as api:
        api.add_group(TEAM_CHAT, "Team")
        tg = await telegram_bot(make_bot, api, token, framework=framework)
        api.customer_text(CUSTOMER, "hello", first_name="Cara")
        await api.wait_until(lambda: bool(api.messages_to(CUSTOMER)))
        api.block(CUSTOMER)
        await tg.bot.runtime.actions.send(tg.conversation(), "are you there?", service="support")
        sink = tg.bot.sinks["support"]

        def failed() -> list[dict[str, object]]:
            return [
                e["data"] for e in sink.events("message.status") if e["data"]["status"] == "failed"
            ]

        await sink.wait_for(lambda _: bool(failed()), timeout=10)
        (status,) = failed()
        assert status["error_code"] == "403", status
        assert "blocked by the user" in str(status["error"])
        await tg.bot.stop()
