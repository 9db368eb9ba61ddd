"""Concurrent callers' commands sent together: what the callers of one turn of the event
loop ask for goes out in one pipeline, one round trip, instead of a round trip each."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any

from redis.asyncio import Redis

from stores.redis import Pipe

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

    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self._waiting: list[tuple[Sequence[Queued], asyncio.Future[list[Any]]]] = []
        self.rounds = 0
        """Round trips sent, for a look at how much the callers are grouped."""

    async def run(self, commands: Sequence[Queued]) -> list[Any]:
        """Send ``commands`` with those of the other callers of this turn; their answers."""
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[list[Any]] = loop.create_future()
        if not self._waiting:
            # After the callbacks ready now: the other requests read in this turn join.
            loop.call_soon(self._flush)
        self._waiting.append((commands, answer))
        return await answer

    def _flush(self) -> None:
        waiting, self._waiting = self._waiting, []
        task = asyncio.ensure_future(self._send(waiting))
        # The callers hold the futures; the task is kept until done so it is not collected.
        _sending.add(task)
        task.add_done_callback(_sending.discard)

    async def _send(
        self, waiting: list[tuple[Sequence[Queued], asyncio.Future[list[Any]]]]
    ) -> None:
        self.rounds += 1
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                for commands, _ in waiting:
                    for queue in commands:
                        queue(pipe)
                answers = await pipe.execute(raise_on_error=False)
        except BaseException as error:
            for _, answer in waiting:
                if not answer.done():
                    answer.set_exception(error)
            if not isinstance(error, Exception):
                raise
            return
        at = 0
        for commands, answer in waiting:
            mine = answers[at : at + len(commands)]
            at += len(commands)
            if answer.done():  # its caller went away (the request was cancelled)
                continue
            failed = next((a for a in mine if isinstance(a, Exception)), None)
            if failed is not None:
                answer.set_exception(failed)
            else:
                answer.set_result(list(mine))


_sending: set[asyncio.Task[None]] = set()
