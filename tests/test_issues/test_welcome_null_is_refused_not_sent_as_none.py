"""``welcome: null`` in the config file sent the text "None" to every new customer. The
file is refused with a message that says how to have no welcome at all."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config.settings import ConfigError, load_settings


@pytest.mark.parametrize("value", ["null", "~", "", "42", "[hi]", "{a: b}", "true"])
def test_a_welcome_that_is_not_text_is_refused(tmp_path: Path, value: str) -> None:
    path = tmp_path / "switchboard.yaml"
    path.write_text(f"automation:\n  welcome: {value}\n")
    with pytest.raises(
        ConfigError,
        match=r"yaml:2: automation\.welcome: must be text .*welcome: \"\" sends no welcome",
    ):
        load_settings({"SWITCHBOARD_CONFIG": str(path)})


def test_an_empty_welcome_means_none_is_sent(tmp_path: Path) -> None:
    path = tmp_path / "switchboard.yaml"
    path.write_text('automation:\n  welcome: ""\n')
    assert load_settings({"SWITCHBOARD_CONFIG": str(path)}).automation.welcome == ""
