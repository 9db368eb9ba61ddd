"""``SMS_FROM=+4407700900999`` (the number copied with its trunk 0, as in
``+44 (0)7700 900999``) started the bot, and every customer's SMS was answered 200 and
dropped: Twilio writes ``To`` as ``+447700900999``, which matched no number configured, and
the sends went from a ``From`` Twilio has no number for. A number of E.164's shape that is
not the number as Twilio writes it now stops the start, naming the variable and the form
Twilio uses; one that is no country's number at all does too."""

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


@pytest.mark.parametrize(
    ("sender", "twilios"),
    [("+4407700900999", "+447700900999"), ("+330612345678", "+33612345678")],
)
def test_a_number_with_its_trunk_zero_stops_the_start(
    tmp_path: Path, sender: str, twilios: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings(_sms(tmp_path, sender))
    [line] = raised.value.problems
    assert line.startswith(f"SMS_FROM={sender}: must be the number as Twilio writes it")
    assert twilios in line


@pytest.mark.parametrize("sender", ["+4477009009990", "+999123456789"])
def test_a_number_of_no_country_stops_the_start(tmp_path: Path, sender: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings(_sms(tmp_path, sender))
    [line] = raised.value.problems
    assert line.startswith(f"SMS_FROM={sender}: must be the number in E.164 (+447700900999)")


@pytest.mark.parametrize("sender", ["+447700900999", "+390612345678", "+15005550006"])
def test_a_number_as_twilio_writes_it_is_taken(tmp_path: Path, sender: str) -> None:
    settings = load_settings(_sms(tmp_path, sender))
    assert settings.sms is not None and settings.sms.sender == sender
