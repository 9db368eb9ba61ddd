"""A service whose secret was ``${VAR}`` with VAR set but empty (or ``secret: ""``) was
taken: ``config check`` said valid, the bot started, and every event to it was signed
with an empty HMAC key, which anyone can forge. The API refuses an empty secret; the
config file does now, naming the service."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config.settings import ConfigError, load_settings

FILE = """
services:
  - name: crm
    url: http://127.0.0.1:9/hook
    secret: {secret}
"""


@pytest.mark.parametrize(
    ("secret", "env"),
    [('""', {}), ("${CRM_SECRET}", {"CRM_SECRET": ""}), ("'  '", {})],
)
def test_an_empty_secret_stops_the_start(tmp_path: Path, secret: str, env: dict[str, str]) -> None:
    path = tmp_path / "switchboard.yaml"
    path.write_text(FILE.format(secret=secret), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"services\[0\]\.secret"):
        load_settings({"SWITCHBOARD_CONFIG": str(path), **env})
