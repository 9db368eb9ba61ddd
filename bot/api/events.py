"""``GET /v1/events``: the events of the caller's numbers in order, masked for it as its
webhooks are, from a retention window: for a service that was down, or is new, to catch
up."""

from __future__ import annotations

import json
import re

from aiohttp import web

from bot.api.common import ApiError, caller, numbers_of, parts
from bot.core.redaction import render

DEFAULT_LIMIT, MAX_LIMIT = 100, 500
MAX_AFTER = 100
EVENT_ID = re.compile(rf"[A-Za-z0-9_-]{{1,{MAX_AFTER}}}")
"""What an event id can be (ours are ``evt_`` and 20 hex digits)."""


def add_event_routes(api: web.Application) -> None:
    api.router.add_get("/events", list_events)


async def list_events(request: web.Request) -> web.Response:
    """Up to ``limit`` events after the event ``after`` (from the oldest kept without it),
    and the id to read on from."""
    after = request.query.get("after", "")
    if after and not EVENT_ID.fullmatch(after):
        raise ApiError(
            400, f"'after' is an event id (evt_…): letters, digits and _, at most {MAX_AFTER}"
        )
    limit = _limit(request.query.get("limit"))
    numbers = await numbers_of(request)
    if not numbers:
        return web.json_response({"events": [], "next": after or None})
    logs = [*numbers, ""]  # "": the events of every number, a profile's
    log = parts(request).events
    position = await log.locate(logs, after) if after else None
    if after and position is None:
        raise ApiError(
            410,
            f"no event {after} on your numbers within the retention window: "
            "read again from the oldest, without 'after'",
        )
    who = caller(request)
    # Settled: an event queued later in a millisecond already read from would be missed.
    found = await log.read(logs, position, limit, settled=True)
    events = [json.loads(render(who, event.body)) for event in found]
    next_id = found[-1].event_id if found else after or None
    return web.json_response({"events": events, "next": next_id})


def _limit(raw: str | None) -> int:
    if raw is None:
        return DEFAULT_LIMIT
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_LIMIT:
        raise ApiError(400, f"'limit' must be a whole number from 1 to {MAX_LIMIT}")
    return int(raw)
