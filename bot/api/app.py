"""The /v1 application: every call is made by one service with its Bearer token, or by
the operator with the admin token; each resource's routes live in their own module."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.api.common import ADMIN, CALLER, DEADLINE, PARTS, ApiError, ApiParts
from bot.api.conversations import add_conversation_routes
from bot.api.events import add_event_routes
from bot.api.idempotency import idempotent
from bot.api.live import add_live_routes, add_live_token_routes, authenticate_live
from bot.api.live_feed import TAIL, stop_streams, stream
from bot.api.live_tail import EventTail
from bot.api.media import add_media_routes
from bot.api.notifications import add_notification_routes
from bot.api.profiles import add_profile_routes
from bot.api.sequences import add_sequence_routes
from bot.api.services import add_service_routes
from bot.api.starts import add_start_routes
from bot.http.errors import error_response, store_time, unauthorized


def build_api(parts: ApiParts) -> web.Application:
    api = web.Application(middlewares=[_in_time, _authenticate, idempotent, _refusals])
    api[PARTS] = parts
    add_service_routes(api)
    add_conversation_routes(api)
    add_start_routes(api)
    add_live_token_routes(api)
    add_profile_routes(api)
    add_notification_routes(api)
    add_event_routes(api)
    add_sequence_routes(api)
    add_media_routes(api)
    return api


def build_live(parts: ApiParts) -> web.Application:
    """The live chat view, under ``/live``: its page, and the page's calls, each made with
    a live token instead of the service's API token."""
    live = web.Application(middlewares=[_in_time, authenticate_live, idempotent, _refusals])
    live[PARTS] = parts
    live[TAIL] = EventTail(parts.events)
    live.on_shutdown.append(stop_streams)
    add_live_routes(live)
    live.router.add_get("/api/stream", stream)
    return live


@web.middleware
async def _in_time(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """A call that waits on the store past ``STORE_SECONDS`` (Redis paused, its host
    stalled) is a 503, as a store that failed: the caller retries after ``Retry-After``."""
    async with store_time() as deadline:
        request[DEADLINE] = deadline
        return await handler(request)


@web.middleware
async def _authenticate(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Who is calling: a service by its token, or the operator by the admin token."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip() if scheme.lower() == "bearer" else ""  # schemes ignore case
    if not token:
        return unauthorized("missing Authorization: Bearer <token>", invalid=False)
    try:
        token.encode("utf-8")
    except UnicodeEncodeError:  # bytes that are not UTF-8 arrive as surrogates
        return unauthorized("unknown token", invalid=True)
    parts = request.app[PARTS]
    admin = parts.admin_token
    if admin and hmac.compare_digest(token.encode(), admin.encode()):
        request[CALLER] = ADMIN
    else:
        service = await parts.services.by_token(token)
        if service is None:
            return unauthorized("unknown token", invalid=True)
        request[CALLER] = service
    return await handler(request)


@web.middleware
async def _refusals(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """A route's refusal as its answer, for the middlewares around it to see."""
    try:
        return await handler(request)
    except ApiError as refusal:
        return error_response(refusal.status, refusal.message, **refusal.extra)
