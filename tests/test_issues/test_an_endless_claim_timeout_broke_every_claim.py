"""``claims: {idle_timeout: .inf}`` (or ``1.0e+20``) passed ``config check`` and started
the bot, and then every claim failed: "That failed on our side" in the team chat, a 503
on the API, an OverflowError in the log. The delivery's and the automation's seconds
took ``.inf`` too. No number of the file may be infinite or not a number now, and these
seconds have a ceiling."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config.settings import ConfigError, load_settings


@pytest.mark.parametrize(
    "text",
    [
        "claims: {idle_timeout: .inf}",
        "claims: {idle_timeout: 1.0e+20}",
        "claims: {idle_timeout: .nan}",
        "delivery: {retry_cap: .inf}",
        "delivery: {retry_horizon: .inf}",
        "delivery: {timeout: .inf}",
        "delivery: {retry_base: .inf, retry_cap: .inf}",
        "automation: {reply_interval: .inf}",
    ],
)
def test_an_endless_number_of_seconds_stops_the_start(tmp_path: Path, text: str) -> None:
    path = tmp_path / "switchboard.yaml"
    path.write_text(text + "\n", encoding="utf-8")
    key = text.split(":")[0] + "." + text.split("{")[1].split(":")[0]
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        load_settings({"SWITCHBOARD_CONFIG": str(path)})


def test_long_ones_still_do(tmp_path: Path) -> None:
    path = tmp_path / "switchboard.yaml"
    path.write_text(
        "claims: {idle_timeout: 86400}\ndelivery: {retry_cap: 3600, retry_horizon: 604800}\n",
        encoding="utf-8",
    )
    settings = load_settings({"SWITCHBOARD_CONFIG": str(path)})
    assert settings.delivery.retry_horizon == 604800
