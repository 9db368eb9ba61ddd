"""``REDIS_URL=redis://127.0.0.1/0?foo=bar`` passed the settings' check, and the first
connection failed with a traceback: redis-py hands every option of the URL's query to
its connection class, which takes no ``foo``. An option redis-py does not take is now
the settings' one-line refusal naming it; the options it takes still work."""

from __future__ import annotations

import os

import pytest

from stores.urls import check_redis_url
from tests.botprocess import run_command


@pytest.mark.parametrize(
    ("url", "option"),
    [
        ("redis://:pw@127.0.0.1:6379/0?foo=bar", "foo"),
        ("redis://:pw@127.0.0.1:6379/0?ssl_cert_reqs=none", "ssl_cert_reqs"),
        ("redis+cluster://:pw@127.0.0.1:7000?sockettimeout=3", "sockettimeout"),
    ],
)
async def test_an_option_redis_py_does_not_take_is_refused_in_one_line(
    url: str, option: str
) -> None:
    code, _, err = await run_command({**os.environ, "REDIS_URL": url}, "admin", "inbox")
    assert code == 2, err
    assert "Traceback" not in err and ":pw@" not in err
    [line] = err.splitlines()
    assert line.startswith("REDIS_URL=")
    assert line.endswith(f": takes no option {option!r}"), line


def test_the_options_redis_py_takes_pass() -> None:
    check_redis_url("redis://127.0.0.1:6379/0?socket_connect_timeout=3&health_check_interval=5")
    check_redis_url("rediss://127.0.0.1:6380/0?ssl_cert_reqs=none&ssl_check_hostname=false")
    check_redis_url("unix:///run/redis.sock?db=2")
    check_redis_url("redis://127.0.0.1/0?max_connections=10&protocol=3&client_name=sb")
