"""``REDIS_URL=redis://127.0.0.1:70000/0`` passed the settings' check, then ``serve`` and
every admin command printed a traceback when redis-py read the port; so did a port that
is no number, a ``[`` without its ``]``, and an option the URL's query gives a value
redis-py cannot read (port 0, which no Redis listens on, failed later to connect). Each
is now the settings' one-line refusal naming REDIS_URL, its password masked, exit 2."""

from __future__ import annotations

import os

import pytest

from tests.botprocess import run_command, said

ADMIN = [("admin", "inbox"), ("admin", "services", "list"), ("admin", "import", "x.csv")]


@pytest.mark.parametrize("args", [(), ("serve", "--workers", "2"), *ADMIN])
async def test_a_port_past_65535_is_refused_in_one_line(args: tuple[str, ...]) -> None:
    url = "redis://:hunter2-not-shown@127.0.0.1:70000/0"
    code, _, err = await run_command({**os.environ, "REDIS_URL": url}, *args, timeout=60)
    assert code == 2, err
    assert "Traceback" not in err and "hunter2-not-shown" not in err
    assert said(err) == [
        "REDIS_URL=redis://:***@127.0.0.1:70000/0: must have a port between 1 and 65535"
    ]


@pytest.mark.parametrize(
    ("url", "refusal"),
    [
        ("redis://:pw@127.0.0.1:0/0", "must have a port between 1 and 65535"),
        ("redis://:pw@127.0.0.1:port/0", "must have a port between 1 and 65535"),
        ("redis+cluster://:pw@127.0.0.1:99999", "must have a port between 1 and 65535"),
        ("redis://:pw@[::1:6379/0", "must close its IPv6 host's [ with ]"),
        ("redis://:pw@127.0.0.1/0?db=x", "Invalid value for 'db' in connection URL."),
        (
            "rediss://:pw@127.0.0.1/0?socket_connect_timeout=soon",
            "Invalid value for 'socket_connect_timeout' in connection URL.",
        ),
    ],
)
async def test_a_url_redis_cannot_read_is_refused_in_one_line(url: str, refusal: str) -> None:
    code, _, err = await run_command({**os.environ, "REDIS_URL": url}, "admin", "inbox")
    assert code == 2, err
    assert "Traceback" not in err and ":pw@" not in err
    [line] = err.splitlines()
    assert line.startswith("REDIS_URL=") and line.endswith(f": {refusal}"), line
