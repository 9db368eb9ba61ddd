"""``config check`` took a rule with an empty keyword (``keywords: [""]`` or ``"  "``),
which then answered nearly every message (an empty word matches at any punctuation)
ahead of the rules meant for it; took holidays that are no day of the calendar
(2026-02-30), which never matched; and said "ends before it starts" of ``09:00-24:30``.
Each is a config error now, saying what is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config.settings import ConfigError, load_settings
from tests.test_config import write


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ('rules: [{keywords: [""], reply: x}]', r"rules\[0\]\.keywords\[0\]: must not be empty"),
        ('rules: [{keywords: [hours, "  "], reply: x}]', r"keywords\[1\]: must not be empty"),
        ('rules: [{keywords: "  ", reply: x}]', r"rules\[0\]\.keywords"),
        ('away: {message: m, holidays: ["2026-02-30"]}', "'2026-02-30' is no day of the calendar"),
        ('away: {message: m, holidays: ["0000-00-00"]}', "is no day of the calendar"),
        ('away: {message: m, hours: {mon: "09:00-24:30"}}', "'09:00-24:30' ends past 24:00"),
    ],
)
def test_a_rule_or_a_day_that_cannot_work_is_refused(tmp_path: Path, text: str, said: str) -> None:
    path = write(tmp_path, f"automation: {{{text}}}\n")
    with pytest.raises(ConfigError, match=said):
        load_settings({"SWITCHBOARD_CONFIG": path})


def test_real_days_and_a_span_to_midnight_are_taken(tmp_path: Path) -> None:
    text = 'away: {message: m, hours: {fri: "18:00-24:00"}, holidays: [2028-02-29]}'
    settings = load_settings({"SWITCHBOARD_CONFIG": write(tmp_path, f"automation: {{{text}}}\n")})
    assert settings.automation.away is not None
