"""``GET /live/api/stream``: the live view's server-sent events. The events of the token's
profile's conversations, read from the numbers' event logs and masked for the token's
service exactly as its webhooks and ``GET /v1/events`` are (SN-3)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time

from aiohttp import web

from bot.api.common import caller, numbers_of, parts
from bot.api.live import GRANT, PROFILE, profile_conversations
from bot.core.redaction import render

STOPPING: web.AppKey[asyncio.Event] = web.AppKey("live_stopping", asyncio.Event)
"""Set when the process shuts down: every stream ends at once."""
POLL = 0.5
"""Seconds between two reads of the logs: how late an event may show."""
HEARTBEAT = 15.0
"""Seconds of quiet after which a comment keeps proxies from closing the stream."""
RESCOPE = 30.0
"""Seconds after which the service's numbers and the profile's conversations are read
again (a service detached, a conversation stitched to the profile)."""
PAGE = 100


async def stop_streams(app: web.Application) -> None:
    app[STOPPING].set()


async def stream(request: web.Request) -> web.StreamResponse:
    """``ready`` once listening (the page reads its state then, so nothing falls between),
    then each event as ``data``, and ``expired`` when the token runs out."""
    api, grant, who, profile = parts(request), request[GRANT], caller(request), request[PROFILE]
    stopping = request.config_dict[STOPPING]
    logs = [*await numbers_of(request), ""]  # "": events about profiles, on no number
    position = await api.events.last(logs)
    ours, others = set(await profile_conversations(request)), set[str]()
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-store",
            "X-Accel-Buffering": "no",
        }
    )
    await response.prepare(request)
    rescoped = said = time.monotonic()
    try:
        await response.write(b"event: ready\ndata: {}\n\n")
        while time.time() < grant.expires_at and not stopping.is_set():
            if time.monotonic() - rescoped > RESCOPE:
                logs = [*await numbers_of(request), ""]
                ours, others = set(await profile_conversations(request)), set()
                rescoped = time.monotonic()
            for logged in await api.events.read(logs, position, PAGE):
                position = logged.position
                data = json.loads(logged.body).get("data") or {}
                conversation = data.get("conversation_id")
                if conversation is None:
                    if not {profile, grant.profile} & {data.get("profile"), data.get("merged")}:
                        continue
                elif conversation not in ours:
                    if conversation in others:
                        continue
                    ours = set(await profile_conversations(request))  # one just started?
                    if conversation not in ours:
                        others.add(conversation)
                        continue
                await response.write(b"data: " + render(who, logged.body) + b"\n\n")
                said = time.monotonic()
            if time.monotonic() - said > HEARTBEAT:
                await response.write(b": still here\n\n")
                said = time.monotonic()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), POLL)
        if not stopping.is_set():
            await response.write(b"event: expired\ndata: {}\n\n")
    except ConnectionResetError:  # the page went away
        return response
    return response
