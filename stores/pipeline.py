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
fan-out tells its reader of the events a pipeline queued only when they are in Redis. And
it takes riders (``ride``): commands of another part queued at its end when it is sent,
their answers handed to that part, so that the fan-out reads the events a pipeline queues
in the round trip that queues them."""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from redis._parsers.hiredis import NOT_ENOUGH_DATA, _AsyncHiredisParser
from redis._parsers.socket import SERVER_CLOSED_CONNECTION_ERROR
from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
from redis.asyncio.connection import Connection
from redis.client import EMPTY_RESPONSE, NEVER_DECODE
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.utils import safe_str, truncate_text

from stores.pool import QuickPool

Hook = Callable[[], None]
T = TypeVar("T")
Take = Callable[[list[Any] | BaseException], None]
"""Takes a rider's answers (errors among them, not raised), or what failed the round trip."""
Rider = Callable[[Any], Take]
"""Queues its commands (none, maybe) at the end of a pipeline being sent, and says how to
take their answers."""

log = logging.getLogger(__name__)


def after_sent(pipe: Any, hook: Hook) -> None:
    """Call ``hook`` once ``pipe`` has been sent: when its ``execute`` ends, whether or not a
    command failed (a write may have landed all the same); never when it is given back
    unsent. At once for a pipeline that keeps no hooks."""
    hooks: list[Hook] | None = getattr(pipe, "sent_hooks", None)
    if hooks is None:
        hook()
    else:
        hooks.append(hook)


def ride(pipe: Any, rider: Rider) -> bool:
    """Have ``rider`` queue commands at the end of ``pipe`` when it is sent, on its round
    trip; the caller's answers and errors are as they would be without them. False, and
    nothing kept, for a pipeline that takes no riders (a transaction's, say)."""
    riders: list[Rider] | None = getattr(pipe, "riders", None)
    if riders is None or any(getattr(pipe, name, False) for name in _TRANSACTIONS):
        return False
    riders.append(rider)
    return True


def when_whole(take: Callable[[list[Any]], None]) -> Take:
    """A rider's ``Take`` that hands ``take`` its answers only when the round trip and
    each of the rider's commands succeeded, and nothing otherwise: for a rider whose
    caller reads on its own what did not come."""

    def taking(answers: list[Any] | BaseException) -> None:
        if isinstance(answers, BaseException):
            return
        if any(isinstance(answer, BaseException) for answer in answers):
            return
        take(answers)

    return taking


_TRANSACTIONS = ("is_transaction", "explicit_transaction", "watching", "_transaction")
"""What makes a pipeline a transaction, whose answers come as one."""


async def riding(
    pipe: Any,
    riders: list[Rider],
    send: Callable[[bool], Awaitable[list[Any]]],
    raise_on_error: bool,
    commands: Callable[[], Sequence[Sequence[Any]]],
) -> list[Any]:
    """``send``'s answers to the caller's commands of ``pipe``, its ``riders`` queued after
    them and handed theirs. ``commands``: the arguments of each command queued, for the
    error raised."""
    own = len(pipe)
    takes = []
    for rider in riders:
        start = len(pipe)
        try:
            take = rider(pipe)
        except Exception:  # its own failure: what it queued is answered to nobody
            log.exception("a pipeline's rider failed to queue its commands")
            continue
        takes.append((take, start, len(pipe)))
    queued = commands() if raise_on_error else ()
    try:
        answers = await send(False)
    except BaseException as error:
        for take, _, _ in takes:
            _hand(take, error)
        raise
    for take, start, end in takes:
        _hand(take, answers[start:end])
    answers = answers[:own]
    if raise_on_error:
        raise_first(answers, queued)
    return answers


def raise_first(answers: list[Any], commands: Sequence[Sequence[Any]]) -> None:
    """Raise the first error among ``answers``, named as redis-py names it: its place and
    its command (of ``commands``, each command's arguments)."""
    for number, answer in enumerate(answers, 1):
        if isinstance(answer, Exception):
            command = truncate_text(" ".join(map(safe_str, commands[number - 1])))
            message = f"Command # {number} ({command}) of pipeline caused error: "
            answer.args = (message + str(answer.args[0]), *answer.args[1:])
            raise answer


def _hand(take: Take, answers: list[Any] | BaseException) -> None:
    try:
        take(answers)
    except Exception:  # a rider's failure is its own, never the caller's
        log.exception("a pipeline's rider failed on its answers")


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
        self.riders: list[Rider] = []

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
        riders, self.riders = self.riders, []
        if riders:
            sent = riding(self, riders, self._execute, raise_on_error, self._commands)
            return await sending(hooks, sent)
        return await sending(hooks, self._execute(raise_on_error))

    def _commands(self) -> list[Any]:
        return [args for args, _ in self.command_stack]

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
        reader = _plain_reader(connection, commands)
        if reader is None:
            response = await self._read_each(connection, commands)
        else:
            response = await self._read_all(connection, reader, commands)
        if raise_on_error:
            self.raise_first_error(commands, response)
        return response

    async def _read_each(self, connection: Connection, commands: Any) -> list[Any]:
        """Each reply through redis-py's ``parse_response``, as its pipeline reads them."""
        response: list[Any] = []
        for args, options in commands:
            try:
                response.append(await self.parse_response(connection, args[0], **options))
            except ResponseError as error:
                response.append(error)
        return response

    async def _read_all(self, connection: Connection, reader: Any, commands: Any) -> list[Any]:
        """The replies taken off hiredis' reader in one loop, the socket read only when it
        runs dry, instead of four coroutines a reply (``Pipeline.parse_response``,
        ``Redis.parse_response``, ``Connection.read_response`` and the parser's): each
        reply is checked, turned by its response callback and kept, or kept as its error,
        as redis-py's do, and any failure while reading closes the connection as redis-py
        does, as its unread replies cannot be told apart any more."""
        parser: Any = connection._parser
        push_type = parser._hiredis_PushNotificationType
        callbacks = self.response_callbacks
        response: list[Any] = []
        try:
            for args, options in commands:
                reply = await _reply(parser, reader, push_type)
                if isinstance(reply, RedisConnectionError):  # LOADING, MASTERDOWN, NOAUTH
                    raise reply
                if isinstance(reply, ResponseError):
                    response.append(options.get(EMPTY_RESPONSE, reply))
                    continue
                if isinstance(reply, list) and reply and isinstance(reply[0], RedisConnectionError):
                    raise reply[0]
                callback = callbacks.get(args[0])
                if callback is not None:
                    if options:
                        extra = {k: v for k, v in options.items() if k not in _NOT_FOR_CALLBACKS}
                        reply = callback(reply, **extra)
                    else:
                        reply = callback(reply)
                    if inspect.isawaitable(reply):
                        reply = await reply
                response.append(reply)
        except OSError as error:
            await connection.disconnect(nowait=True)
            raise RedisConnectionError(
                f"Error while reading from {connection.host}:{connection.port} : {error.args}"
            ) from error
        except BaseException:
            await connection.disconnect(nowait=True)
            raise
        if connection.health_check_interval:
            connection.next_health_check = (
                asyncio.get_running_loop().time() + connection.health_check_interval
            )
        return response

    async def reset(self) -> None:  # type: ignore[override]  # redis-py's own, not RESET
        self.sent_hooks = []  # nothing went: nothing to tell
        self.riders = []
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


_NOT_FOR_CALLBACKS = frozenset((EMPTY_RESPONSE, "keys"))
"""Options a command queues for ``parse_response`` that its response callback does not
take (redis-py pops them before calling it)."""

_TRACKED = frozenset(("WATCH", "UNWATCH", "MULTI", "EXEC", "DISCARD", "INFO"))
"""Commands whose replies redis-py's pipeline reads with bookkeeping of its own."""


def _plain_reader(connection: Connection, commands: Any) -> Any:
    """hiredis' reader of ``connection`` when every reply of ``commands`` can be read off
    it as they are (decoded as the connection decodes, the RESP3 it asked for, no command
    with a reading of its own); else None, and redis-py reads them one by one."""
    parser = getattr(connection, "_parser", None)
    if not isinstance(parser, _AsyncHiredisParser) or getattr(connection, "_resp2_fallback", False):
        return None
    reader = getattr(parser, "_reader", None)
    if reader is None or not parser._connected:
        return None
    for args, options in commands:
        if NEVER_DECODE in options or args[0] in _TRACKED:
            return None
    return reader


async def _reply(parser: Any, reader: Any, push_type: Any) -> Any:
    """The next reply on the connection: a push message in between goes to its handler,
    as redis-py's parser sends it."""
    while True:
        if not parser._connected:  # closed under the read: nothing more is taken off it
            raise RedisConnectionError(SERVER_CLOSED_CONNECTION_ERROR)
        reply = reader.gets()
        while reply is NOT_ENOUGH_DATA:
            await parser.read_from_socket()
            reply = reader.gets()
        if push_type is None or not isinstance(reply, push_type):
            return reply
        await parser.handle_push_response(reply)


class QuickRedis(Redis):
    """``Redis`` whose pipelines are ``QuickPipeline``s."""

    def pipeline(self, transaction: bool = True, shard_hint: str | None = None) -> Pipeline:
        return QuickPipeline(self.connection_pool, self.response_callbacks, transaction, shard_hint)
