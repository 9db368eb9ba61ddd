"""A ``HOST`` that names no machine, or an address that is none of this machine's, was
blamed on the port.

As an operator saw it: ``HOST=nonexistent.invalid`` stopped the start with "PORT=8080:
cannot listen on nonexistent.invalid:8080 (Name or service not known)", and
``HOST=192.0.2.55`` with "PORT=8080: ... cannot assign requested address": the port was
fine. Such a host is HOST's mistake, and the line says so.
"""

from __future__ import annotations

import pytest

from tests.config_run import environment, run_bot


@pytest.mark.parametrize("host", ["nonexistent.invalid", "192.0.2.55"])
async def test_the_host_is_blamed(host: str) -> None:
    env = environment(HOST=host)
    env.pop("REDIS_URL", None)
    code, out = await run_bot(env)
    assert code == 2, out
    assert f"HOST={host}: cannot listen on {host}:{env['PORT']}" in out
