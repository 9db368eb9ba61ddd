"""``automation.flow_timeout: .inf`` (or ``1.0e+20``) passed ``config check``; then every
message of a guided conversation failed to keep the flow's state (a TTL Redis cannot
take) and went to the dead letters, or the customer was left in the flow unanswered.
It is capped as a flow's own ``timeout`` is: 30 days."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config.settings import ConfigError, load_settings
from tests.test_config import write


@pytest.mark.parametrize("value", [".inf", "1.0e+20", "2592001"])
def test_a_flow_timeout_past_30_days_is_a_config_error(tmp_path: Path, value: str) -> None:
    path = write(tmp_path, f"automation:\n  flow_timeout: {value}\n")
    with pytest.raises(
        ConfigError, match=r"automation\.flow_timeout: must be (.*2592000|a finite)"
    ):
        load_settings({"SWITCHBOARD_CONFIG": path})


def test_a_flow_timeout_of_30_days_is_taken(tmp_path: Path) -> None:
    path = write(tmp_path, "automation:\n  flow_timeout: 2592000\n")
    assert load_settings({"SWITCHBOARD_CONFIG": path}).automation.flows == ()
