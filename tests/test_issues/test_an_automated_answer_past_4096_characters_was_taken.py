"""A welcome, rule reply, fallback or away message past 4,096 characters passed `config
check` ("valid"), and every send of it was then refused by Telegram ("message is too
long") and WhatsApp alike: the customer got nothing. Such a config is refused now."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config.settings import ConfigError, load_settings


@pytest.mark.parametrize(
    ("section", "where"),
    [
        ('  welcome: "{long}"\n', "automation.welcome"),
        ('  rules:\n    - keywords: [hi]\n      reply: "{long}"\n', "automation.rules[0].reply"),
        ('  fallback: "{long}"\n', "automation.fallback"),
        ('  away:\n    message: "{long}"\n    timezone: UTC\n', "automation.away.message"),
    ],
)
def test_an_answer_past_4096_characters_is_refused(
    tmp_path: Path, section: str, where: str
) -> None:
    config = tmp_path / "switchboard.yaml"
    config.write_text("automation:\n" + section.format(long="w" * 4097))
    with pytest.raises(ConfigError) as raised:
        load_settings({"SWITCHBOARD_CONFIG": str(config)})
    [line] = raised.value.problems
    assert f"{where}: must be at most 4096 characters (this one has 4097)" in line
    assert len(line) < 300


def test_an_answer_of_4096_characters_is_taken(tmp_path: Path) -> None:
    config = tmp_path / "switchboard.yaml"
    config.write_text(f'automation:\n  welcome: "{"w" * 4096}"\n')
    settings = load_settings({"SWITCHBOARD_CONFIG": str(config)})
    assert len(settings.automation.welcome) == 4096
