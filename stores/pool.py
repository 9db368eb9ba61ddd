"""The client's connection pool: redis-py's blocking pool, with a quick way in and out
when a connection is free and nobody waits."""

from __future__ import annotations

from typing import Any

from redis.asyncio.connection import AbstractConnection, BlockingConnectionPool
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError


async def _unfit(connection: AbstractConnection) -> bool:
    """Whether a connected connection must be opened afresh before use: a reply is left
    unread on it, or the server closed it (redis-py 8.2's ``can_read`` raises for that,
    earlier ones answer True; its own checkout reconnects on either)."""
    try:
        return await connection.can_read()
    except (RedisConnectionError, RedisTimeoutError, OSError):
        return True


class QuickPool(BlockingConnectionPool):
    """A ``BlockingConnectionPool`` whose checkout and release skip the condition, the
    timeout and the per-call observability hooks while a connection is free and no
    caller waits for one, which is nearly always, and never hand out a connection with a
    reply still unread on it.

    redis-py's checkout takes an ``asyncio.Condition``, opens an ``asyncio.timeout``,
    checks a deprecated argument and awaits three recording hooks, and its release a
    lock, an event dispatch and two more hooks: about 40 % of the client's CPU for a
    single command. Here a free connection is taken at once, checked as the pool checks
    it (connected, nothing left unread on it), and put back at once. When none is free,
    or callers already wait, redis-py's own path runs, with its wait, its timeout and its
    wake-up of the next waiter, so nobody is overtaken for long and nothing changes
    under load. The hooks skipped record OpenTelemetry metrics (not configured here) and
    re-authenticate with streaming credentials (not used here)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._waiting = 0
        """Callers in redis-py's checkout: while there are any, releases wake them."""

    async def get_connection(self, *args: Any, **kwargs: Any) -> AbstractConnection:
        if self._available_connections and not self._waiting and not self._in_maintenance:
            connection = self._available_connections.pop()
            self._in_use_connections.add(connection)
            try:
                if connection.is_connected and await _unfit(connection):
                    # A reply nobody read, or the server closed it: start afresh, where
                    # redis-py's pool, with maintenance notifications on, hands it out.
                    await connection.disconnect()
                if not connection.is_connected:
                    await self.ensure_connection(connection)
            except BaseException:
                await self.release(connection)
                raise
            return connection
        self._waiting += 1
        try:
            waited: AbstractConnection = await super().get_connection()
            return waited
        finally:
            self._waiting -= 1

    async def release(self, connection: AbstractConnection) -> None:
        if self.give_back(connection):
            return
        if self._waiting or self._in_maintenance:
            await super().release(connection)
            return
        self._in_use_connections.remove(connection)  # it needs reconnecting first
        await connection.disconnect()
        self._available_connections.append(connection)

    def give_back(self, connection: AbstractConnection) -> bool:
        """``release`` without awaiting anything, when that is how it would go: nobody
        waits, no maintenance, and the connection needs no reconnecting. False (and
        nothing done) otherwise, for ``release`` to do it."""
        if self._waiting or self._in_maintenance or connection.should_reconnect():
            return False
        self._in_use_connections.remove(connection)
        self._available_connections.append(connection)
        return True
