"""``profiles.number_owners`` names each number as the bot does (``wa:<phone number id>``,
``sms:+447700900999``...), but any key was taken: an owner given for the number as its
phone (``+447700900999``) or its channel (``whatsapp``) matched no number, so the new
profiles went to the default owner, and nothing said why. Such a key is refused at the
start, with what a number looks like."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config.base import ConfigError
from bot.config.settings import load_settings

TEAM = """
team:
  - {email: owner@example.com, role: admin}
  - {email: sam@example.com, role: agent}
"""


def settings_of(tmp_path: Path, owners: str) -> object:
    config = tmp_path / "switchboard.yaml"
    config.write_text(f"profiles:\n  number_owners: {owners}\n{TEAM}", encoding="utf-8")
    return load_settings({"SWITCHBOARD_CONFIG": str(config)})


@pytest.mark.parametrize("number", ["+447700900999", "whatsapp", "wa 106540352242922"])
def test_a_key_that_is_no_number_is_refused(tmp_path: Path, number: str) -> None:
    with pytest.raises(ConfigError) as refused:
        settings_of(tmp_path, f'{{"{number}": sam@example.com}}')
    assert "profiles.number_owners" in str(refused.value)
    assert "wa:106540352242922" in str(refused.value)


def test_a_number_as_the_bot_names_it_is_taken(tmp_path: Path) -> None:
    owners = '{"wa:106540352242922": sam@example.com, "sms:+447700900999": sam@example.com}'
    settings = settings_of(tmp_path, owners)
    assert settings.profiles.number_owners == {  # type: ignore[attr-defined]
        "wa:106540352242922": "sam@example.com",
        "sms:+447700900999": "sam@example.com",
    }
