"""Concurrent callers' commands sent together: what the callers of one turn of the event
loop ask for goes out in one pipeline, one round trip, instead of a round trip each.

A caller gives its commands as functions that queue them (``AutoPipeline.run``), or
queues them on a pipeline of its own that joins the others when it is sent
(``AutoPipeline.pipeline``): the same commands, riders and hooks as a round trip of its
own, and the same answers and errors."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Sequence
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
from redis.asyncio.cluster import RedisCluster
from redis.exceptions import DataError

from stores.pipeline import Hook, Rider, after_sent, raise_first, ride

Pipe = Pipeline
"""``stores.redis.Pipe``, which sends its client's round trips through this module."""

Queued = Callable[[Pipe], None]
"""Queues one command on the pipeline it is given."""


class AutoPipeline:
    """Collects the commands that concurrent callers ask for within one turn of the loop
    and sends them in one pipeline; each caller gets its own answers, or its own error.

    A command's error (a script's refusal) goes to the caller that queued it alone. When
    the round trip itself fails (Redis unreachable), every caller in it gets the error, as
    each would have with a round trip of its own. The commands of one caller go out in
    one pipeline, in order; a pipeline is not a transaction, so the callers' commands must
    not depend on each other, as they would not when sent apart.
    """

    def __init__(self, redis: Redis, *, ordered: bool = False) -> None:
        self.redis = redis
        self.ordered = ordered
        """One round trip at a time: what the callers ask while one is out goes in the
        next, after its answer, so Redis runs the callers' commands in the order they were
        asked. Without it, the round trips of turns that follow each other go out at once,
        on connections of their own, and a Redis that stalls a moment may run them in any
        order when it resumes."""
        self._out = False
        """Whether an ordered round trip is out."""
        self._waiting: list[tuple[Queued, asyncio.Future[list[Any]]]] = []
        self.rounds = 0
        """Round trips sent, for a look at how much the callers are grouped."""
        self.riding = hasattr(redis.pipeline(transaction=False), "riders")
        """Whether the client's pipelines take riders, and so its joining pipelines."""

    async def run(self, commands: Sequence[Queued]) -> list[Any]:
        """Send ``commands`` with those of the other callers of this turn; their answers,
        or the first of their errors raised."""
        answers = await self.join(functools.partial(_queue_each, commands))
        failed = next((a for a in answers if isinstance(a, Exception)), None)
        if failed is not None:
            raise failed
        return answers

    def pipeline(self) -> JoiningPipeline:
        """A pipeline to queue commands on, sent with the other callers' of the turn in
        which its ``execute`` is called."""
        return JoiningPipeline(self)

    async def join(self, queue: Queued) -> list[Any]:
        """The answers, errors among them, to what ``queue`` queues on the pipeline of the
        callers of this turn, once it has been sent. Nothing of a caller cancelled before
        then is sent."""
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[list[Any]] = loop.create_future()
        if not self._waiting and not self._out:
            # After the callbacks ready now: the other requests read in this turn join.
            loop.call_soon(self._flush)
        self._waiting.append((queue, answer))
        return await answer

    def _flush(self) -> None:
        waiting, self._waiting = self._waiting, []
        task = asyncio.ensure_future(self._send(waiting))
        # The callers hold the futures; the task is kept until done so it is not collected.
        _sending.add(task)
        task.add_done_callback(_sending.discard)
        if self.ordered:
            self._out = True
            task.add_done_callback(self._answered)

    def _answered(self, _: asyncio.Task[None]) -> None:
        """An ordered round trip is answered: what was asked meanwhile goes now."""
        self._out = False
        if self._waiting:
            self._flush()

    async def _send(self, waiting: list[tuple[Queued, asyncio.Future[list[Any]]]]) -> None:
        waiting = [(queue, answer) for queue, answer in waiting if not answer.done()]
        if not waiting:
            return
        self.rounds += 1
        spans = []
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                for queue, _ in waiting:
                    start = len(pipe)
                    queue(pipe)
                    spans.append((start, len(pipe)))
                answers = await pipe.execute(raise_on_error=False)
        except (DataError, UnicodeEncodeError) as error:
            # A value no command can carry (a lone surrogate, a None) is refused while the
            # pipeline is packed, before a byte goes to Redis: each caller goes alone, so
            # that only the one that gave it is refused. Not on a cluster, which may have
            # sent a node its part when another node's fails to pack.
            if len(waiting) > 1 and not isinstance(self.redis, RedisCluster):
                await asyncio.gather(*(self._send([one]) for one in waiting))
            else:
                _fail(waiting, error)
            return
        except BaseException as error:
            _fail(waiting, error)
            if not isinstance(error, Exception):
                raise
            return
        for (start, end), (_, answer) in zip(spans, waiting, strict=True):
            if not answer.done():  # else its caller went away (the request was cancelled)
                answer.set_result(answers[start:end])


def _fail(waiting: list[tuple[Queued, asyncio.Future[list[Any]]]], error: BaseException) -> None:
    for _, answer in waiting:
        if not answer.done():
            answer.set_exception(error)


class JoiningPipeline(Pipeline):
    """``AutoPipeline.pipeline``: its commands are kept as redis-py's pipeline keeps them,
    then sent with the other callers' of the turn; its riders and hooks go along."""

    def __init__(self, together: AutoPipeline) -> None:
        redis = together.redis
        # Never given a connection: its commands go out on the pipeline of the turn.
        pool: Any = getattr(redis, "connection_pool", None)
        super().__init__(pool, redis.response_callbacks, False, None)
        self._together = together
        self.sent_hooks: list[Hook] = []
        if together.riding:
            self.riders: list[Rider] = []

    async def execute(self, raise_on_error: bool = True) -> list[Any]:
        stack, self.command_stack = self.command_stack, []
        hooks, self.sent_hooks = self.sent_hooks, []
        riders: list[Rider] = []
        if self._together.riding:
            riders, self.riders = self.riders, []
        if not (stack or riders):
            for hook in hooks:
                hook()
            return []
        answers = await self._together.join(functools.partial(_queue_stack, stack, riders, hooks))
        if raise_on_error:
            raise_first(answers, [args for args, _ in stack])
        return answers

    def multi(self) -> None:
        raise TypeError("a joining pipeline is not a transaction")

    async def watch(self, *names: Any) -> None:  # type: ignore[override]
        raise TypeError("a joining pipeline is not a transaction")

    async def reset(self) -> None:  # type: ignore[override]  # redis-py's own, not RESET
        self.command_stack = []
        self.sent_hooks = []
        if self._together.riding:
            self.riders = []


def _queue_each(commands: Sequence[Queued], pipe: Pipe) -> None:
    for queue in commands:
        queue(pipe)


def _queue_stack(stack: list[Any], riders: list[Rider], hooks: list[Hook], pipe: Pipe) -> None:
    """A joining pipeline's commands, riders and hooks moved to the pipeline sent."""
    for args, options in stack:
        pipe.execute_command(*args, **options)
    for rider in riders:
        ride(pipe, rider)  # it takes them: the joining pipeline took them only then
    for hook in hooks:
        after_sent(pipe, hook)


_sending: set[asyncio.Task[None]] = set()
