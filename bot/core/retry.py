"""One bounded retry loop for the runtime's calls that may fail for a while: a provider's
429 or 5xx, a store that is briefly unreachable."""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from bot.logs import Quiet
from stores.redis import StoreError

T = TypeVar("T")

Backoff = Callable[[Exception, int], float | None]
"""Seconds to wait before the next attempt after ``error`` on attempt N (from 0), or None
when the error is final."""


async def retrying(
    call: Callable[[], Awaitable[T]],
    *,
    attempts: int,
    backoff: Backoff,
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
) -> T:
    """``await call()``, tried at most ``attempts`` times while ``backoff`` says the error
    passes, waiting between tries with ``sleep``; the last error, or a final one, is raised."""
    for attempt in range(attempts - 1):
        try:
            return await call()
        except Exception as error:
            wait = backoff(error, attempt)
            if wait is None:
                raise
            await sleep(wait)
    return await call()


QUIET_SECONDS = 10.0
"""A part that keeps failing on the store says so once in this many seconds."""
_quiet: dict[tuple[str, str], Quiet] = {}


def log_failure(log: logging.Logger, message: str, *args: object) -> None:
    """In an ``except`` block: ``message`` and why, in one line when the store failed (Redis
    down, paused or full, which the log of every part would otherwise trace each time it
    tries again), at most once every ``QUIET_SECONDS`` for one ``message``, with how many
    were kept quiet; with the traceback for anything else (a bug)."""
    error = sys.exc_info()[1]
    if not isinstance(error, StoreError):
        log.exception(message, *args)
        return
    quiet = _quiet.setdefault((log.name, message), Quiet(QUIET_SECONDS))
    more = quiet.due(time.monotonic())
    if more is not None:
        log.warning(
            message + " (the store failed: %s: %s)%s", *args, type(error).__name__, error, more
        )


class StoreFailureLine:
    """The store's failures of one kind of work, said in one line every ``EVERY`` seconds
    with how many there were since: a Redis outage while a dozen shards redo their batches
    every second, or a hundred requests a second are refused, is not a traceback each."""

    EVERY = 5.0

    def __init__(self, log: logging.Logger, message: str, counted: str = "") -> None:
        self.log = log
        self.message = message
        self.quiet = Quiet(self.EVERY, counted)

    def say(self, error: BaseException, *args: object) -> None:
        more = self.quiet.due(time.monotonic())
        if more is None:
            return
        self.log.warning(
            self.message + ": the store failed (%s: %s)%s",
            *args,
            type(error).__name__,
            str(error)[:200],
            more,
        )
