"""The one shape of a refusal on every route: a JSON body with a clear ``error``; and
what the log says of a refusal that is not the caller's doing nor a bug."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web
from aiohttp.web_protocol import RequestPayloadError

from bot.core.retry import StoreFailureLine
from stores.redis import StoreTimeoutError

STORE_SECONDS = 20.0
"""How long a request may wait on the store, its body's reading apart (which has deadlines
of its own): a Redis that stopped answering without closing its connections (paused,
its host stalled) would hold the caller for as long. Past it, the request is a 503."""


@contextlib.asynccontextmanager
async def store_time() -> AsyncIterator[asyncio.Timeout]:
    """The store's part of a request, bounded: past ``STORE_SECONDS`` (Redis paused, its
    host stalled) it is a StoreTimeoutError, which answers 503 as a store that failed.
    Its deadline, which a long read of the body may move."""
    seconds = STORE_SECONDS
    try:
        async with asyncio.timeout(seconds) as deadline:
            yield deadline
    except TimeoutError:
        if not deadline.expired():
            raise
        raise StoreTimeoutError(f"the store did not answer within {seconds:g} s") from None


def error_response(
    status: int, message: str, headers: dict[str, str] | None = None, **extra: Any
) -> web.Response:
    """``{"error": message, ...extra}`` with ``status``."""
    return web.json_response({"error": message, **extra}, status=status, headers=headers)


def unauthorized(why: str, *, invalid: bool) -> web.Response:
    """401 with the challenge RFC 6750 gives a Bearer-token API: the scheme, and for a
    token given but not taken, ``invalid_token``."""
    challenge = 'Bearer realm="switchboard"' + (', error="invalid_token"' if invalid else "")
    return error_response(401, why, {"WWW-Authenticate": challenge})


log = logging.getLogger("bot.http.app")  # the lines its routes' refusals always had


def unreadable_body(request: web.Request, error: RequestPayloadError) -> web.Response:
    """A body its Content-Encoding does not decode, or chunks that break off: a 400, the
    caller's to fix and never to retry as it is. Nothing more of it is read."""
    request.content.feed_eof()
    response = error_response(400, f"the body could not be read: {_why(error)}"[:200])
    response.force_close()
    return response


def _why(error: RequestPayloadError) -> str:
    return getattr(error.__cause__, "message", "") or "it is broken"


class StoreFailures:
    """Requests refused because the store failed, said in one line every few seconds with
    how many there were: an outage at 100 requests a second is not 100 tracebacks."""

    def __init__(self) -> None:
        self._line = StoreFailureLine(log, "%s %s %s", counted="requests")

    def said(self, method: str, route: str, error: Exception, answer: str = "answered 503") -> None:
        """``answer``: what the caller got (a web chat socket is closed, with 1011)."""
        self._line.say(error, method, route, answer)


def quiet_unreadable_bodies() -> None:
    """Log a body that could not be read as one line of info, on aiohttp's server logger
    (once however often it is asked)."""
    server = logging.getLogger("aiohttp.server")
    if not any(isinstance(f, _UnreadableBodies) for f in server.filters):
        server.addFilter(_UnreadableBodies())


class _UnreadableBodies(logging.Filter):
    """aiohttp reads what a handler left of a body after the answer, and logs a body its
    Content-Encoding does not decode as an "Unhandled exception" with its trace: any
    caller could fill the log with them. Such a line is one line of info instead; the
    caller got its answer (a 400 where the handler read the body)."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, RequestPayloadError):
            record.levelno, record.levelname = logging.INFO, "INFO"
            record.msg, record.args = (
                "a request's body could not be read: %s",
                (getattr(error.__cause__, "message", "") or "it is broken",),
            )
            record.exc_info = record.exc_text = None
        return True
