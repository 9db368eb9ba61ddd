"""The config file took a team member listed twice with two roles (``admin`` and
``viewer``), or one Telegram id under two emails: the first entry silently won, access
control included, where a service listed twice is refused. Both are refused now."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config.settings import ConfigError, load_settings
from tests.test_config import write


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "team: [{email: ann@example.com, role: admin}, {email: Ann@Example.com, role: viewer}]",
            "team: team member 'ann@example.com' is listed twice",
        ),
        (
            "team: [{email: ann@example.com, telegram: 7001}, {email: bob@example.com, "
            "telegram: '7001'}]",
            "Telegram id 7001 is given to two team members",
        ),
    ],
)
def test_a_team_member_listed_twice_is_refused(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings({"SWITCHBOARD_CONFIG": write(tmp_path, text)})


def test_a_team_of_distinct_members_is_taken(tmp_path: Path) -> None:
    text = "team: [{email: ann@example.com, telegram: 7001}, {email: bob@example.com}]"
    settings = load_settings({"SWITCHBOARD_CONFIG": write(tmp_path, text)})
    assert [m.email for m in settings.team] == ["ann@example.com", "bob@example.com"]
