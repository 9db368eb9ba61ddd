"""``admin detach sales "" --yes`` (a script's ``$NUMBER`` left empty) detached the service
from every number, exit 0, as ``admin services detach sales --number ""`` did: an empty
argument was left out, and the ones after it read in its place. An empty argument is a
usage error (exit 2), and nothing is detached."""

from __future__ import annotations

import pytest
from redis.asyncio import Redis

from stores.redis import Keys
from stores.services import ServiceStore
from tests.config_run import environment, run_bot
from tests.conftest import REDIS_URL

NUMBERS = ["wa:106540352242922", "web:site"]


@pytest.mark.parametrize(
    "args",
    [
        ("admin", "detach", "sales", "", "--yes"),
        ("admin", "services", "detach", "sales", "--number", "", "--yes"),
        ("admin", "detach", "", "web:site", "--yes"),
    ],
)
async def test_an_empty_argument_is_a_usage_error(
    real_redis: Redis, prefix: str, args: tuple[str, ...]
) -> None:
    store = ServiceStore(real_redis, Keys(prefix))
    for number in NUMBERS:
        await store.attach(number, "support")
        await store.attach(number, "sales")
    code, out = await run_bot(
        environment(REDIS_URL=REDIS_URL, SWITCHBOARD_KEY_PREFIX=prefix), *args
    )
    assert code == 2, out
    assert "is empty" in out
    assert [await store.order(number) for number in NUMBERS] == [["support", "sales"]] * 2
