"""Carriers expect a HELP by SMS answered with the program's name and how to reach it
(CTIA's guidelines, which US carriers enforce); the bot always answered the same line,
"Reply STOP to stop messages, START to get them again. Msg & data rates may apply.",
which names no business and could not be changed. ``keywords.sms.help_reply`` sets it."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config.settings import ConfigError, load_settings
from tests.conftest import BotFactory
from tests.test_config import write
from tests.test_sms_channel import sms_bot_with

ACME = "Acme Support: help@acme.example or 0800 000 0000. Reply STOP to opt out."


def test_the_help_reply_is_read_from_the_config_file(tmp_path: Path) -> None:
    text = f"keywords:\n  sms:\n    help: [HELP, INFO]\n    help_reply: '{ACME}'\n"
    settings = load_settings({"SWITCHBOARD_CONFIG": write(tmp_path, text)})
    assert settings.sms_help == ACME
    assert load_settings({"SWITCHBOARD_CONFIG": write(tmp_path, "")}).sms_help == ""


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("keywords: {sms: {help_reply: '   '}}", "keywords.sms.help_reply"),
        ("keywords: {sms: {help_reply: ''}}", "keywords.sms.help_reply"),
        (f"keywords: {{sms: {{help_reply: '{'x' * 1601}'}}}}", "keywords.sms.help_reply"),
        ("keywords: {sms: {help_reply: [a, b]}}", "keywords.sms.help_reply"),
        ("keywords: {whatsapp: {help_reply: Acme}}", "keywords.whatsapp.help_reply"),
    ],
)
def test_a_bad_help_reply_is_refused(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings({"SWITCHBOARD_CONFIG": write(tmp_path, text)})


async def test_help_gets_the_configured_answer(make_bot: BotFactory) -> None:
    async with sms_bot_with(make_bot, sms_help=ACME) as sms:
        assert await sms.text("help") == 200
        (sent,) = await sms.twilio.wait_for_sent(1)
        assert sent.body == ACME
