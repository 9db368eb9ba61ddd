"""``SMS_FROM="+44 7700 900999"`` (or ``07700900999``, or ``hello``) started the bot, and
every customer's SMS was answered 200 and dropped: Twilio's ``To`` is E.164, which matched
no number configured. The start is refused now, naming the variable."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from bot.config.settings import ConfigError, load_settings


def _sms(tmp_path: Path, sender: str) -> dict[str, str]:
    config = tmp_path / "switchboard.yaml"
    config.write_text("")
    return {
        "SWITCHBOARD_CONFIG": str(config),
        "TWILIO_ACCOUNT_SID": "AC" + secrets.token_hex(16),
        "TWILIO_AUTH_TOKEN": secrets.token_hex(16),
        "SMS_FROM": sender,
    }


@pytest.mark.parametrize("sender", ["+44 7700 900999", "07700900999", "447700900999", "hello"])
def test_an_sms_from_in_another_form_stops_the_start(tmp_path: Path, sender: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings(_sms(tmp_path, sender))
    [line] = raised.value.problems
    assert line.startswith(f"SMS_FROM={sender}: must be the number in E.164 (+447700900999)")


@pytest.mark.parametrize("sender", ["+447700900999", "+15005550006", "MG" + "0a1b" * 8])
def test_a_number_in_e164_or_a_messaging_service_is_taken(tmp_path: Path, sender: str) -> None:
    settings = load_settings(_sms(tmp_path, sender))
    assert settings.sms is not None and settings.sms.sender == sender
