"""A workflow rule's ``when: {priority: {nested: map}}`` passed ``config check`` as valid,
though a condition is a value or a list of values (docs/api.md) and a mapping matches no
event as written: the rule was silently dead. It is refused on its line, naming the
condition."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config.settings import ConfigError, load_settings
from tests.test_config import write

RULE = "workflows:\n  - on: ticket.created\n    when: {}\n    send: {{text: x}}\n"


@pytest.mark.parametrize("when", ["{priority: {nested: map}}", "{tags: [[a, b]]}", "{p: [{a: 1}]}"])
def test_a_condition_that_is_no_value_is_refused(tmp_path: Path, when: str) -> None:
    path = write(tmp_path, RULE.format(when))
    with pytest.raises(
        ConfigError, match=r"switchboard.yaml:3: workflows\[0\]\.when: .*a value or a list"
    ):
        load_settings({"SWITCHBOARD_CONFIG": path})


def test_values_and_lists_of_values_are_taken(tmp_path: Path) -> None:
    path = write(tmp_path, RULE.format("{priority: [high, urgent], count: 3, vip: true}"))
    (rule,) = load_settings({"SWITCHBOARD_CONFIG": path}).workflows
    assert rule.when == {"priority": ["high", "urgent"], "count": 3, "vip": True}
