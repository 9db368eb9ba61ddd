"""A ``HOST`` that names no machine was blamed on the port.

As an operator saw it: ``HOST=nonexistent.invalid`` stopped the start with "PORT=8080:
cannot listen on nonexistent.invalid:8080 (Name or service not known)": the port was
fine. A host that resolves to nothing is HOST's mistake, and the line says so.
"""

from __future__ import annotations

from tests.config_run import environment, run_bot


async def test_the_host_is_blamed() -> None:
    env = environment(HOST="nonexistent.invalid")
    env.pop("REDIS_URL", None)
    code, out = await run_bot(env)
    assert code == 2, out
    assert f"HOST=nonexistent.invalid: cannot listen on nonexistent.invalid:{env['PORT']}" in out
