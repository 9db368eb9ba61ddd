"""With ``TELEGRAM_FRAMEWORK=ptb``, a Bot API call that took more than 5 seconds (ptb's
own default timeouts) failed as unanswered, and the message was never sent again, where
aiogram waits as long as the runtime waits for any channel's call (20 s)."""

from __future__ import annotations

import pytest

from tests.conftest import BotFactory
from tests.emulators.telegram_api import TelegramAPIEmulator, fake_token
from tests.test_telegram_runtime import CUSTOMER, TEAM_CHAT, telegram_bot, wait_until_processed


@pytest.mark.parametrize("framework", ["ptb", "aiogram"])
async def test_a_slow_send_is_waited_for(make_bot: BotFactory, framework: str) -> None:
    token = fake_token()
    async with TelegramAPIEmulator(token) as api:
        api.add_group(TEAM_CHAT, "Team")
        tg = await telegram_bot(make_bot, api, token, framework=framework)
        api.slow("sendMessage", seconds=7.0, times=2)  # the welcome, and the team's post
        api.customer_text(CUSTOMER, "hello")
        await api.wait_until(lambda: bool(api.messages_to(CUSTOMER)), timeout=30)
        assert api.messages_to(CUSTOMER)[0].text == "Welcome! How can we help?"
        timeline = await wait_until_processed(tg, CUSTOMER, 1)
        assert [m["text"] for m in timeline] == ["hello", "Welcome! How can we help?"]
