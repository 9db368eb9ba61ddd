"""Commands are packed by hiredis where it takes the arguments as they are, and the bytes
on the wire are exactly redis-py's; what it does not take gets redis-py's checks."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from redis.asyncio import Redis
from redis.asyncio.connection import Connection
from redis.exceptions import DataError

from stores.redis import CountingConnection, RoundTrips, connect

COMMANDS: list[tuple[Any, ...]] = [
    ("SET", "k", "v"),
    ("SET", "k", "héllo ✓ 😀"),
    ("SET", b"k", b"\x00\xff binary"),
    ("HSET", "h", "n", 3, "f", 1.5, "tiny", 1e-05, "big", 1e16, "neg", -7, "huge", 2**70),
    ("XADD", "s", "MINID", "~", "0-1", "*", "d", "x" * 20_000),
    ("SET", "k", memoryview(b"from a view")),
    ("CLIENT SETINFO", "LIB-NAME", "redis-py"),
    (b"CONFIG GET", "maxmemory"),
    ("EVALSHA", "a" * 40, 2, "{c:1}:a", "{c:1}:b", '{"text": "hi"}', 1_700_000_000.125),
    ("SET", "k", bytearray(b"a bytearray")),  # hiredis does not take it: redis-py packs it
]


def wire(packed: list[bytes | memoryview]) -> bytes:
    return b"".join(bytes(chunk) for chunk in packed)


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: str(c[0]))
def test_a_command_is_packed_to_redis_pys_bytes(command: tuple[Any, ...]) -> None:
    assert wire(CountingConnection().pack_command(*command)) == wire(
        Connection().pack_command(*command)
    )


def test_a_pipeline_is_packed_to_redis_pys_bytes_and_counted() -> None:
    before = RoundTrips.commands
    ours = CountingConnection().pack_commands(COMMANDS)
    assert RoundTrips.commands - before == len(COMMANDS)
    assert wire(ours) == wire(Connection().pack_commands(COMMANDS))


# Named by type: object()'s repr holds its address, which differs from one process to the
# next (pytest-xdist's workers must collect the same names).
@pytest.mark.parametrize(
    "value", [True, None, object(), [1, 2]], ids=lambda value: type(value).__name__
)
def test_an_argument_redis_cannot_take_is_refused_as_redis_py_refuses_it(value: Any) -> None:
    with pytest.raises(DataError):
        CountingConnection().pack_command("SET", "k", value)


@pytest.fixture
async def client(redis_url: str) -> AsyncIterator[Redis]:
    if "cluster" in redis_url:
        pytest.skip("the plain client's connections; a cluster's are its own")
    redis = connect(redis_url)
    yield redis
    await redis.aclose()


async def test_values_go_to_redis_and_back_unchanged(client: Redis, prefix: str) -> None:
    values = {"text": "héllo ✓ 😀", "long": "y" * 100_000, "number": 12, "float": 0.1 + 0.2}
    async with client.pipeline(transaction=False) as pipe:
        for name, value in values.items():
            pipe.set(f"{prefix}{name}", value)
        await pipe.execute()
    try:
        got = [await client.get(f"{prefix}{name}") for name in values]
        assert got == ["héllo ✓ 😀", "y" * 100_000, "12", "0.30000000000000004"]
    finally:
        await client.delete(*(f"{prefix}{name}" for name in values))


async def test_a_refused_argument_stores_nothing(client: Redis, prefix: str) -> None:
    with pytest.raises(DataError):
        await client.set(f"{prefix}flag", True)  # type: ignore[arg-type]
    assert await client.exists(f"{prefix}flag") == 0
