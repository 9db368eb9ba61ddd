"""With a ``team:``, a profile's owner counts only if on it, but ``profiles.default_owner``
(or an owner in ``number_owners``) that was not on the team was taken by ``config check``
as valid, the bot started without a word, and new profiles had no owner at all."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config.base import ConfigError
from bot.config.settings import load_settings

TEAM = "team:\n  - {email: Sam@Example.com, name: Sam, role: agent}\n"


@pytest.mark.parametrize(
    ("profiles", "named"),
    [
        ("  default_owner: ghost@example.com\n", "profiles.default_owner 'ghost@example.com'"),
        ("  number_owners: {'wa:999': nobody@example.com}\n", "profiles.number_owners.wa:999"),
    ],
)
def test_an_owner_who_is_not_on_the_team_stops_the_start(
    tmp_path: Path, profiles: str, named: str
) -> None:
    path = tmp_path / "switchboard.yaml"
    path.write_text(TEAM + "profiles:\n" + profiles)
    with pytest.raises(ConfigError) as refused:
        load_settings({"SWITCHBOARD_CONFIG": str(path)})
    assert named in str(refused.value) and "not on the team" in str(refused.value)


def test_an_owner_on_the_team_or_with_no_team_is_taken(tmp_path: Path) -> None:
    path = tmp_path / "switchboard.yaml"
    path.write_text(TEAM + "profiles:\n  default_owner: sam@example.com\n")
    assert (
        load_settings({"SWITCHBOARD_CONFIG": str(path)}).profiles.default_owner == "sam@example.com"
    )
    path.write_text("profiles:\n  default_owner: anyone@example.com\n")
    assert (
        load_settings({"SWITCHBOARD_CONFIG": str(path)}).profiles.default_owner
        == "anyone@example.com"
    )
