"""A connection put back with a reply nobody read on it (a command whose caller went away)
was handed to the next caller as it was, and that caller read the old reply as its own
answer: redis-py 8's pool skips its check while its maintenance notifications are "auto".
The client's pool opens such a connection afresh."""

from __future__ import annotations

from redis.asyncio import Redis

from tests.test_notifications import until
from tests.test_redis_packing import client  # noqa: F401 (a fixture)


async def test_a_reply_nobody_read_is_never_the_next_callers_answer(
    client: Redis,  # noqa: F811 (the fixture imported above)
    prefix: str,
) -> None:
    await client.set(f"{prefix}k", "right")
    pool = client.connection_pool
    connection = await pool.get_connection()
    await connection.send_command("ECHO", "stale")  # its reply is never read
    await until(connection.can_read, 5)
    await pool.release(connection)
    for _ in range(3):  # whichever connection comes out, its answer is its own
        assert await client.get(f"{prefix}k") == "right"
    await client.delete(f"{prefix}k")
