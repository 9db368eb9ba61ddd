"""A pooled connection the server had closed failed the next command that took it.

redis-py 8.2 changed what a connection's ``can_read()`` does on a socket the server has
closed: it raises ``ConnectionError("Connection closed by server.")`` where it returned
True. The pool's quick checkout (``stores/pool.py``) took True as "reconnect first"; the
raise went to the caller instead, so after a Redis restart or a ``CLIENT KILL`` (an idle
timeout, a failover) a webhook or an API call could fail with 503 instead of running on a
new connection, as redis-py's own checkout does.
"""

from __future__ import annotations

import secrets

import pytest
from redis.asyncio import Redis

from stores.redis import connect
from tests.conftest import ON_CLUSTER, REDIS_URL

pytestmark = pytest.mark.skipif(ON_CLUSTER, reason="one node's connection is cut by its id")


async def test_a_command_after_the_server_closed_its_connection_runs_on_a_new_one() -> None:
    client = connect(REDIS_URL)
    key = f"test:{secrets.token_hex(6)}:closed"
    try:
        assert await client.set(key, "before", ex=60)
        killed = await client.client_id()
        async with Redis.from_url(REDIS_URL) as other:
            assert await other.client_kill_filter(_id=killed) == 1
        assert await client.get(key) == "before"
        assert await client.client_id() != killed
        async with client.pipeline(transaction=False) as pipe:
            pipe.get(key)
            assert await pipe.execute() == ["before"]
    finally:
        await client.delete(key)
        await client.aclose()
