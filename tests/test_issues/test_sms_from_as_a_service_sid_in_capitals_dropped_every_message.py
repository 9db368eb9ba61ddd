"""``SMS_FROM`` naming a Messaging Service by its SID with the hex digits in capitals
(``MG9752274E9E519418A7406176694466FA``, which the setting's check took) started the bot,
and every customer's SMS was answered 200 and dropped: Twilio writes
``MessagingServiceSid`` with lowercase hex, which matched no sender configured, as with a
number written with its trunk 0. Such a SID now stops the start, naming the form Twilio
uses."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from bot.config.settings import ConfigError, load_settings
from tests.test_issues.test_an_sms_from_with_its_trunk_zero_dropped_every_message import _sms


def test_a_service_sid_in_capitals_stops_the_start(tmp_path: Path) -> None:
    twilios = "MG" + secrets.token_hex(16)
    given = "MG" + twilios[2:].upper()
    with pytest.raises(ConfigError) as raised:
        load_settings(_sms(tmp_path, given))
    [line] = raised.value.problems
    assert line.startswith(f"SMS_FROM={given}: must be the SID as Twilio writes it"), line
    assert twilios in line


def test_a_service_sid_as_twilio_writes_it_is_taken(tmp_path: Path) -> None:
    sid = "MG" + secrets.token_hex(16)
    settings = load_settings(_sms(tmp_path, sid))
    assert settings.sms is not None and settings.sms.sender == sid
