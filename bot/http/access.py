"""The access log: one line per HTTP request, under a request id that the caller may give
(``X-Request-Id``) and the response echoes; every line logged meanwhile carries it."""

from __future__ import annotations

import asyncio
import logging
import random
import re
import time
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from bot.logs import bound

HEADER = "X-Request-Id"
_GIVEN = re.compile(r"[A-Za-z0-9._:@/+=-]{1,128}")
"""A request id taken as given: short, and nothing that could forge a log line."""

log = logging.getLogger("switchboard.access")

REQUEST_ID: web.RequestKey[str] = web.RequestKey("request_id", str)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Observer = Callable[[web.Request, str, int, float], None]
"""Told of each request once answered: its route, status and seconds (the metrics)."""


def request_id(request: web.Request) -> str:
    """The caller's id when it is one we take, else a new one: 32 hex digits.

    A new id only names the request's lines, and a caller may choose any: it needs to be
    unique, not unguessable, so it comes from the process's generator (seeded from the
    system's at start and again in each forked worker), without a system call per request.
    """
    given = request.headers.get(HEADER, "")
    return given if _GIVEN.fullmatch(given) else f"{random.getrandbits(128):032x}"


def route_of(request: web.Request) -> str:
    """The route's template (``/l/{token}``), never the path as sent: a path may carry a
    signed token, and a query string a verify token."""
    resource = request.match_info.route.resource
    if resource is None:
        return "unmatched"
    return resource.canonical


UNANSWERED = 499
"""The status logged for a request cut off with no answer (nginx's "client closed
request"): its handler was cancelled."""


class _MalformedRequests(logging.Filter):
    """aiohttp's server logs each malformed request it refuses with 400 (a header with a
    NUL, a request line past 8,190 bytes, 100 headers) at ERROR, with a traceback whose
    message quotes the raw bytes, header values and query included: an ``Authorization``
    token with a stray byte went into the logs whole. A caller's doing, not a failure of
    ours: such a line becomes an INFO line that names the refusal and quotes nothing."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if not isinstance(error, HttpProcessingError):
            return True
        record.levelno, record.levelname = logging.INFO, "INFO"
        record.msg = "refused a malformed HTTP request: %s (%d)"
        record.args = (type(error).__name__, error.code)
        record.exc_info = record.exc_text = None
        return logging.getLogger(record.name).isEnabledFor(logging.INFO)


_MALFORMED = _MalformedRequests()


def access_log(observe: Observer | None = None) -> Callable[..., Awaitable[web.StreamResponse]]:
    """The middleware that names each request and logs it once answered; and aiohttp's
    lines about malformed requests, quoting nothing (``_MalformedRequests``)."""
    server_log = logging.getLogger("aiohttp.server")
    if _MALFORMED not in server_log.filters:
        server_log.addFilter(_MALFORMED)

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        rid = request_id(request)
        request[REQUEST_ID] = rid
        started = time.perf_counter()
        status = 500
        with bound(request_id=rid):
            try:
                response = await handler(request)
                status = response.status
                return response
            except web.HTTPException as error:
                status = error.status
                raise
            except asyncio.CancelledError:
                # Cut off unanswered (the stop's drain ran out while its body was still
                # coming): no 500 was sent, and none is counted.
                status = UNANSWERED
                raise
            finally:
                seconds = time.perf_counter() - started
                route = route_of(request)
                fields: dict[str, object] = {
                    "method": request.method,
                    "route": route,
                    "status": status,
                    "duration_ms": round(seconds * 1000, 2),
                    "remote": request.remote,
                }
                log.info("%s %s %d", request.method, route, status, extra=fields)
                if observe is not None:
                    observe(request, route, status, seconds)

    return middleware


async def echo_request_id(request: web.Request, response: web.StreamResponse) -> None:
    """``on_response_prepare``: the response names the request it answers."""
    rid = request.get(REQUEST_ID)
    if rid is not None:
        response.headers[HEADER] = rid
