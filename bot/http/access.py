"""The access log: one line per HTTP request, under a request id that the caller may give
(``X-Request-Id``) and the response echoes; every line logged meanwhile carries it."""

from __future__ import annotations

import logging
import random
import re
import time
from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.logs import bound

HEADER = "X-Request-Id"
_GIVEN = re.compile(r"[A-Za-z0-9._:@/+=-]{1,128}")
"""A request id taken as given: short, and nothing that could forge a log line."""
_PATH_CHARS = 200

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


def access_log(observe: Observer | None = None) -> Callable[..., Awaitable[web.StreamResponse]]:
    """The middleware that names each request and logs it once answered."""

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
                if route == "unmatched":
                    fields["path"] = request.path[:_PATH_CHARS]
                log.info("%s %s %d", request.method, route, status, extra=fields)
                if observe is not None:
                    observe(request, route, status, seconds)

    return middleware


async def echo_request_id(request: web.Request, response: web.StreamResponse) -> None:
    """``on_response_prepare``: the response names the request it answers."""
    rid = request.get(REQUEST_ID)
    if rid is not None:
        response.headers[HEADER] = rid
