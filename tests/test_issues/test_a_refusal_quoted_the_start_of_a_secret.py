"""A secret variable written where a phone or a wait goes was refused quoting its first
40 or 20 characters: the redaction replaced only whole values, so the cut one stood in
the line, at the start and in ``config check``. A refusal keeps no start of a secret."""

from __future__ import annotations

import secrets
from pathlib import Path

from tests.config_run import config_check, environment, run_bot

CONFIG = """team:
  - {email: a@example.com, phone: "${SINK_SECRET}"}
sequences:
  - name: s1
    number: wa:1
    trigger: {first_contact: true}
    steps: [{wait: "${SINK_SECRET}", text: hi}]
"""


async def test_neither_the_start_nor_the_check_quotes_a_cut_secret(tmp_path: Path) -> None:
    secret = secrets.token_hex(31)  # 62 characters
    path = tmp_path / "switchboard.yaml"
    path.write_text(CONFIG, encoding="utf-8")
    code, out = await run_bot(environment(path, SINK_SECRET=secret))
    assert code == 2, out
    assert "team[0].phone" in out and "steps[0].wait" in out
    assert secret[:8] not in out, out
    code, stdout, stderr = await config_check(path, SINK_SECRET=secret)
    assert code == 2, stdout + stderr
    assert secret[:8] not in stdout + stderr
