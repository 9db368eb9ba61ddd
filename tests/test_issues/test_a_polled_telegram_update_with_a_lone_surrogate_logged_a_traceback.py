"""A polled Telegram update whose text held a lone surrogate (``"\\ud83d"``, half of an
emoji's UTF-16 pair, which JSON allows and UTF-8 cannot write) was logged as an error
with a traceback, "cannot be stored; left out", after the store refused it. The webhook
refuses the same update with a 400; the poll now skips it as it skips any update it
cannot read, with one warning line, and the updates after it are worked."""

from __future__ import annotations

import logging

import pytest

from tests.conftest import BotFactory
from tests.emulators.telegram_api import TelegramAPIEmulator, fake_token
from tests.test_telegram_runtime import CUSTOMER, TEAM_CHAT, telegram_bot

OTHER = 5551002


@pytest.mark.parametrize("framework", ["aiogram", "ptb"])
async def test_a_lone_surrogate_is_skipped_with_a_warning(
    make_bot: BotFactory, caplog: pytest.LogCaptureFixture, framework: str
) -> None:
    pytest.importorskip("telegram" if framework == "ptb" else "aiogram")
    caplog.set_level(logging.WARNING)
    token = fake_token()
    async with TelegramAPIEmulator(token) as api:
        api.add_group(TEAM_CHAT, "Team")
        api.add_user(CUSTOMER)
        api.add_user(OTHER)
        broken = api.customer_text(CUSTOMER, "broken \ud83d emoji")
        api.customer_text(OTHER, "hello")
        tg = await telegram_bot(make_bot, api, token, framework=framework)
        (welcome,) = await api.wait_for_sent(1)
        assert welcome.chat_id == OTHER
        await tg.bot.stop()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    said = [r.getMessage() for r in caplog.records if str(broken["update_id"]) in r.getMessage()]
    assert len(said) == 1 and "lone surrogate" in said[0], said
