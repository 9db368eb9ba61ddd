"""``SWITCHBOARD_SHARDS=1000000`` (or ``10**400``) was taken: ``serve`` then set up a
stream, a lease and a worker per shard and never became ready. The variable now has an
upper bound, 1,024 shards, and a number past it is refused in one line, exit 2."""

from __future__ import annotations

import pytest

from tests.botprocess import free_port, run_command
from tests.config_run import environment, refusal_lines, run_bot


@pytest.mark.parametrize("shards", ["1025", "1000000", pytest.param("1" + "0" * 400, id="10**400")])
async def test_shards_past_the_bound_are_refused_in_one_line(shards: str) -> None:
    code, output = await run_bot(environment(SWITCHBOARD_SHARDS=shards), timeout=30)
    assert code == 2, output
    assert "Traceback" not in output
    assert refusal_lines(output) == [f"SWITCHBOARD_SHARDS={shards}: must be at most 1024"]


async def test_the_bound_itself_is_taken() -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"  # the settings pass; the store is out of reach
    env = environment(SWITCHBOARD_SHARDS="1024", REDIS_URL=url)
    code, _, err = await run_command(env, "admin", "inbox", timeout=60)
    assert code == 2, err
    [line] = err.splitlines()
    assert line.startswith(f"switchboard: REDIS_URL={url}: cannot connect ("), line
