"""A password written in ``REDIS_URL``'s query was printed in clear.

As an operator saw it: ``REDIS_URL=redis://127.0.0.1:PORT/0?password=...`` (a form
redis-py reads, and the bot takes) with the store out of reach: ``admin inbox`` and the
start both said "switchboard: REDIS_URL=redis://127.0.0.1:PORT/0?password=<the
password>: cannot connect". The password before the host was hidden; the query's was
not, in that line or in any log line (REL-5).
"""

from __future__ import annotations

import os
import secrets

from bot.logs import Redactor, secrets_in
from tests.botprocess import free_port, run_command


async def test_the_querys_password_is_hidden() -> None:
    password = secrets.token_hex(12)
    url = f"redis://127.0.0.1:{free_port()}/0?password={password}"
    env = {**os.environ, "REDIS_URL": url, "SWITCHBOARD_CONFIG": os.devnull}
    code, out, err = await run_command(env, "admin", "inbox")
    assert code == 2, (out, err)
    assert "cannot connect" in err and "password=***" in err
    assert password not in out + err


def test_the_logs_keep_it_out() -> None:
    password = secrets.token_hex(12)
    redact = Redactor(secrets_in({"REDIS_URL": f"redis://h:6379/0?db=1&Password={password}"}))
    assert password not in redact(f"connecting with {password}")
