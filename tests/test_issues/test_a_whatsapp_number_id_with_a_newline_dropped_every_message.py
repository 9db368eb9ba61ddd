"""``WHATSAPP_PHONE_NUMBER_ID`` read from a file with its newline was taken: the bot
started, answered Meta 200, and dropped every message, since none named that number (and
said nothing in the log). The id is Meta's digits; anything else stops the start, naming
the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config.settings import ConfigError, load_settings
from tests.test_config import WHATSAPP, write


@pytest.mark.parametrize("given", ["106540352242922\n", " 106540352242922", "wa:106540352242922"])
def test_a_number_id_that_is_not_digits_stops_the_start(tmp_path: Path, given: str) -> None:
    env = {**WHATSAPP, "WHATSAPP_PHONE_NUMBER_ID": given, "SWITCHBOARD_CONFIG": write(tmp_path, "")}
    with pytest.raises(ConfigError, match="WHATSAPP_PHONE_NUMBER_ID"):
        load_settings(env)


def test_the_digits_start(tmp_path: Path) -> None:
    env = {**WHATSAPP, "SWITCHBOARD_CONFIG": write(tmp_path, "")}
    settings = load_settings(env)
    assert settings.whatsapp is not None
    assert settings.whatsapp.phone_number_id == WHATSAPP["WHATSAPP_PHONE_NUMBER_ID"]
