"""A customer who wrote OPTOUT, REVOKE or STOP ALL was not opted out: Twilio's default
opt-out words are "STOP, UNSUBSCRIBE, END, QUIT, STOPALL, REVOKE, OPTOUT, and CANCEL"
(https://www.twilio.com/docs/messaging/tutorials/advanced-opt-out), and STOP ALL is
common. The words of each channel can now also be set in the config file (``keywords``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config.base import ConfigError
from bot.config.channels import keyword_settings
from bot.config.settings import load_settings
from bot.core.keywords import keyword_of, keyword_table
from bot.model import Identity, Inbound
from tests.conftest import BotFactory
from tests.emulators import meta_webhooks as meta


def _text(channel: str, text: str) -> Inbound:
    sender = Identity("phone", "+447700900123")
    return Inbound(channel, f"{channel}:1", "m1", sender, "text", 0.0, text=text)


@pytest.mark.parametrize("channel", ["sms", "whatsapp"])
@pytest.mark.parametrize("word", ["OPTOUT", "revoke", "Stop All", " STOP   ALL ", "STOPALL"])
def test_twilio_default_opt_out_words_opt_out(channel: str, word: str) -> None:
    assert keyword_of(_text(channel, word)) == "stop"


async def test_optout_on_whatsapp_opts_the_customer_out(make_bot: BotFactory) -> None:
    bot = await make_bot()
    await bot.post_whatsapp(meta.text_message(bot.phone_number_id, "447700900123", "OPTOUT"))
    await bot.settle()
    found = await bot.runtime.conversations.meta(bot.conversation("447700900123"))
    assert found["opted_out"] == "1"


def test_the_config_file_replaces_a_channel_s_words_of_a_kind(tmp_path: Path) -> None:
    path = tmp_path / "switchboard.yaml"
    path.write_text("keywords:\n  whatsapp:\n    stop: [basta, 'stop  now']\n")
    settings = load_settings({"SWITCHBOARD_CONFIG": str(path)})
    assert settings.keywords == {"whatsapp": {"stop": ("BASTA", "STOP NOW")}}
    table = keyword_table(settings.keywords)
    assert keyword_of(_text("whatsapp", "Basta"), table) == "stop"
    assert keyword_of(_text("whatsapp", "stop now"), table) == "stop"
    assert keyword_of(_text("whatsapp", "STOP"), table) is None  # replaced
    assert keyword_of(_text("whatsapp", "START"), table) == "start"  # other kinds kept
    assert keyword_of(_text("sms", "STOP"), table) == "stop"  # other channels kept


@pytest.mark.parametrize(
    "bad",
    [
        ["STOP"],
        {"telegram": {"stop": ["STOP"]}},
        {"sms": {"pause": ["WAIT"]}},
        {"sms": {"stop": "STOP"}},
        {"sms": {"stop": ["STOP!"]}},
        {"sms": {"stop": [""]}},
        {"sms": {"stop": ["STOP"], "start": ["stop"]}},
    ],
)
def test_bad_keywords_stop_the_start(bad: object) -> None:
    with pytest.raises(ConfigError):
        keyword_settings(bad)
