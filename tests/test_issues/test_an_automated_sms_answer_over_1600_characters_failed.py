"""An automated answer (a keyword rule's, a flow's) longer than an SMS takes (Twilio's
1,600 characters, error 21617) was sent whole and refused: the customer got nothing, and
``config check`` had said the file was valid. It goes in as many SMS as it needs now,
cut after a line or a word, the numbered choices with the last."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.config.automation import automation_settings
from tests.conftest import BotFactory
from tests.test_sms_channel import SMSBot, sms_bot_with

TERMS = " ".join(f"Clause {n}: the customer may return goods within 30 days." for n in range(40))
AUTOMATION = automation_settings(
    {"welcome": "Hi!", "rules": [{"keywords": ["terms"], "reply": TERMS}]}
)


@pytest.fixture
async def sms_bot(make_bot: BotFactory) -> AsyncIterator[SMSBot]:
    async with sms_bot_with(make_bot, automation=AUTOMATION) as bot:
        yield bot


async def test_a_long_answer_goes_in_parts(sms_bot: SMSBot) -> None:
    assert len(TERMS) > 1600
    assert await sms_bot.text("hello") == 200
    await sms_bot.twilio.wait_for_sent(1)
    assert await sms_bot.text("terms") == 200
    sent = await sms_bot.twilio.wait_for_sent(3)
    parts = [message.body for message in sent[1:]]
    assert all(len(part) <= 1600 for part in parts)
    assert " ".join(parts) == TERMS
    assert len(parts) == 2 and not parts[0].endswith(" ")  # cut between two words
