"""A config file that put a secret variable where a number goes (``delivery: {timeout:
${SUPPORT_TOKEN}}``) stopped the start with ``must be a number (got 'tok…')``: the
secret's value on stderr, which is the log in a container; a live reload of the same
mistake logged ``[redacted]``. The values of variables named like secrets are redacted
in those lines now too, at the start and in ``config check``."""

from __future__ import annotations

import secrets
from pathlib import Path

from tests.config_run import config_check, environment, run_bot


async def test_the_start_and_the_check_redact_a_secret(tmp_path: Path) -> None:
    token = "tok" + secrets.token_hex(8)
    path = tmp_path / "switchboard.yaml"
    path.write_text("delivery:\n  timeout: ${SUPPORT_TOKEN}\n", encoding="utf-8")
    code, output = await run_bot(environment(path, SUPPORT_TOKEN=token))
    assert code == 2
    assert "delivery.timeout" in output and token not in output, output
    code, out, err = await config_check(path, SUPPORT_TOKEN=token)
    assert code == 2
    assert "delivery.timeout" in err and token not in out + err, err
