"""A service that stayed down had its dead letters grow without end, and no way to drop
them.

As an operator saw it: a subscriber left attached while down dead-lettered every event:
66,761 letters (44 MB, a third of Redis) after 25 minutes at 25 messages a second, about
2.5 GB a day, with no cap, no expiry, and no command to let go of them;
``admin dead-letters SERVICE`` read and printed them all (7.8 s for 19,000).

What must hold: a service keeps its latest dead letters up to a bound (the oldest go
first); the listing shows the latest; ``--drop`` lets go of them.
"""

from __future__ import annotations

import pytest
from redis.asyncio import Redis

from stores import deliveries
from stores.deliveries import Outcomes
from tests.botprocess import run_command
from tests.test_admin_profiles import environment
from tests.test_stores_deliveries import SERVICE, _event, _queue, _read, _ready, _settle


@pytest.mark.parametrize("store", ["redis", "embedded"], indirect=True)
async def test_the_latest_are_kept(
    store: Redis, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(deliveries, "DEAD_LETTERS_KEPT", 3)
    queue = await _ready(store, prefix)
    await _queue(queue, *(_event(n) for n in range(5)))
    await _settle(queue, Outcomes(dead=await _read(queue)))
    kept = await queue.dead_letters(SERVICE)
    assert [d.event for d in kept] == [_event(n) for n in (2, 3, 4)]
    assert [d.event for d in await queue.dead_letters(SERVICE, 2)] == [_event(3), _event(4)]
    assert await queue.drop_dead_letters(SERVICE) == 3
    assert await queue.dead_letters(SERVICE) == []


async def test_the_cli_drops_them(real_redis: Redis, prefix: str) -> None:
    queue = await _ready(real_redis, prefix)
    await _queue(queue, _event(1), _event(2))
    await _settle(queue, Outcomes(dead=await _read(queue)))
    env = environment(prefix)
    code, out, err = await run_command(env, "admin", "dead-letters", SERVICE, "--drop")
    assert code == 0, err
    assert out.strip() == f"2 dead letters of {SERVICE} let go of"
    assert await queue.dead_letters(SERVICE) == []
    code, _, err = await run_command(env, "admin", "dead-letters", "--inbound", "--drop")
    assert code == 2 and "name the service" in err
