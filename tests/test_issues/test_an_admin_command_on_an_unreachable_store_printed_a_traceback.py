"""``python bot.py admin inbox`` (and every admin command but import) with a REDIS_URL out
of reach printed a Python traceback, as a "critical uncaught" log line, where ``serve``
says it in one line. It now says it in one line too, the URL's password masked, and
exits 2."""

from __future__ import annotations

import os

import pytest

from tests.botprocess import free_port, run_command


@pytest.mark.parametrize(
    "args",
    [("admin", "inbox"), ("admin", "services", "list"), ("admin", "dead-letters", "--inbound")],
)
async def test_an_admin_command_says_the_store_is_out_of_reach_in_one_line(
    args: tuple[str, ...],
) -> None:
    url = f"redis://:hunter2-not-shown@127.0.0.1:{free_port()}/0"
    env = {**os.environ, "REDIS_URL": url, "LOG_FORMAT": "text"}
    code, _, err = await run_command(env, *args)
    assert code == 2, err
    assert "Traceback" not in err and "uncaught" not in err
    assert "hunter2-not-shown" not in err
    [line] = [line for line in err.splitlines() if line.strip()]
    assert line.startswith("switchboard: REDIS_URL=redis://") and "cannot connect" in line
