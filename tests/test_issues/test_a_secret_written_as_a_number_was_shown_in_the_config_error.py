"""A service's ``secret`` written as a number in the YAML file (unquoted digits) was
refused with the value in the error, ``services[0].secret: must be text (got 7382…)``,
printed by ``config check`` and by a start on stderr, which README says to collect as
logs (REL-5: secrets never appear in logs). A key that holds a secret is refused without
its value; any other still shows what it got."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from tests.botprocess import run_command


async def test_a_secret_s_value_is_never_in_the_error(tmp_path: Path) -> None:
    value = "".join(secrets.choice("123456789") for _ in range(32))
    path = tmp_path / "switchboard.yaml"
    path.write_text(
        "automation:\n  reply_interval: -1\n"
        f"services:\n  - name: crm\n    url: https://crm.example.com/hooks\n    secret: {value}\n",
        encoding="utf-8",
    )
    code, out, err = await run_command(dict(os.environ), "config", "check", str(path))
    assert code == 2
    assert "services[0].secret: must be text" in err
    assert value not in out + err
    assert "automation.reply_interval: must be at least 0 (got -1)" in err
