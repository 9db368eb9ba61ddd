"""The client's pipeline: redis-py's, with a quick way through for the pipelines the
stores send (no transaction, no WATCH, no scripts to load) on a ``QuickPool``.

redis-py's ``Pipeline.execute`` awaits two OpenTelemetry recording hooks and the HIMPORT
fieldset bookkeeping on every round trip, and its ``reset`` hands the connection back
through ``asyncio.shield``, which makes a task of its own for every pipeline: together
about 45 µs of the client's CPU per round trip, as much as the command itself. Here the
commands are packed, sent and their replies read and parsed exactly as redis-py does,
with its retries on a connection error (the same ``Retry`` and the same disconnect
between tries); the connection goes back to the pool at once when nothing stands in the
way, else through redis-py's release. The hooks skipped record OpenTelemetry metrics
(not configured here); HIMPORT fieldsets are not used here (once one is declared, the
connection takes redis-py's path).

A pipeline also calls back, once it has been sent, whoever asked (``after_sent``): the
fan-out tells its reader of the events a pipeline queued only when they are in Redis."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
from redis.asyncio.connection import Connection
from redis.exceptions import ResponseError

from stores.pool import QuickPool

Hook = Callable[[], None]
T = TypeVar("T")


def after_sent(pipe: Any, hook: Hook) -> None:
    """Call ``hook`` once ``pipe`` has been sent: when its ``execute`` ends, whether or not a
    command failed (a write may have landed all the same); never when it is given back
    unsent. At once for a pipeline that keeps no hooks."""
    hooks: list[Hook] | None = getattr(pipe, "sent_hooks", None)
    if hooks is None:
        hook()
    else:
        hooks.append(hook)


async def sending(hooks: list[Hook], sent: Awaitable[T]) -> T:
    """``sent``'s answer, calling ``hooks`` after it, whatever happened."""
    try:
        return await sent
    finally:
        for hook in hooks:
            hook()


class QuickPipeline(Pipeline):
    """``Pipeline`` with the quick way through described in the module's docstring, and
    the hooks of ``after_sent``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sent_hooks: list[Hook] = []

    def _quick(self) -> bool:
        return not (
            self.is_transaction
            or self.explicit_transaction
            or self.watching
            or self.scripts
            or self.connection is not None
            or not isinstance(self.connection_pool, QuickPool)
        )

    async def execute(self, raise_on_error: bool = True) -> list[Any]:
        hooks, self.sent_hooks = self.sent_hooks, []
        return await sending(hooks, self._execute(raise_on_error))

    async def _execute(self, raise_on_error: bool) -> list[Any]:
        if not self._quick():
            return await super().execute(raise_on_error)
        stack = self.command_stack
        if not stack:
            return []
        conn = await self.connection_pool.get_connection()
        self.connection = conn  # reset() puts it back, whatever happens
        try:
            registry = getattr(conn, "himport_registry", None)
            if registry is not None and registry.revision:  # a fieldset was ever declared
                return await super().execute(raise_on_error)
            loop = asyncio.get_running_loop()
            started = loop.time()

            async def failed(error: Exception, failure_count: int) -> None:
                await self._disconnect_raise_on_watching(
                    conn, error, failure_count, started, "PIPELINE"
                )

            response: list[Any] = await conn.retry.call_with_retry(
                lambda: self._send_and_read(conn, stack, raise_on_error),
                failed,
                with_failure_count=True,
            )
            return response
        finally:
            await self.reset()

    async def _send_and_read(
        self, connection: Connection, commands: Any, raise_on_error: bool
    ) -> list[Any]:
        """redis-py's ``_execute_pipeline`` without the HIMPORT preflight."""
        await connection.send_packed_command(
            connection.pack_commands([args for args, _ in commands])
        )
        response: list[Any] = []
        for args, options in commands:
            try:
                response.append(await self.parse_response(connection, args[0], **options))
            except ResponseError as error:
                response.append(error)
        if raise_on_error:
            self.raise_first_error(commands, response)
        return response

    async def reset(self) -> None:  # type: ignore[override]  # redis-py's own, not RESET
        self.sent_hooks = []  # nothing went: nothing to tell
        connection = self.connection
        if self.watching or (connection is not None and not self._given_back(connection)):
            await super().reset()
            return
        self.connection = None
        self.command_stack = []
        self.scripts = set()
        self.explicit_transaction = False

    def _given_back(self, connection: Connection) -> bool:
        pool = self.connection_pool
        return isinstance(pool, QuickPool) and pool.give_back(connection)


class QuickRedis(Redis):
    """``Redis`` whose pipelines are ``QuickPipeline``s."""

    def pipeline(self, transaction: bool = True, shard_hint: str | None = None) -> Pipeline:
        return QuickPipeline(self.connection_pool, self.response_callbacks, transaction, shard_hint)
