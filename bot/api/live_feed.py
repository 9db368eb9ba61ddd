"""``GET /live/api/stream``: the live view's server-sent events. The events of the token's
profile's conversations, from the numbers' event logs (``live_tail``), masked for the
token's service exactly as its webhooks and ``GET /v1/events`` are (SN-3)."""

from __future__ import annotations

import asyncio
import json
import time

from aiohttp import web

from bot.api.common import caller, numbers_of, parts, past_the_store
from bot.api.live import GRANT, PROFILE, key_holds, profile_conversations
from bot.api.live_tail import RESYNC, STOP, EventTail
from bot.core.redaction import render
from bot.http.errors import error_response

TAIL: web.AppKey[EventTail] = web.AppKey("live_tail", EventTail)
HEARTBEAT = 15.0
"""Seconds of quiet after which a comment keeps proxies from closing the stream."""
RESCOPE = 30.0
"""Seconds after which the service's numbers and the profile's conversations are read
again (a service detached, a conversation stitched to the profile)."""
STREAMS_PER_TOKEN = 16
"""Streams one live token may hold open in a process (an agent's tabs), as a web chat
visitor holds 16 chats: one client holding thousands would leave the process no files
to open for the providers' webhooks or for Redis."""


async def stop_streams(app: web.Application) -> None:
    await app[TAIL].stop()


async def stream(request: web.Request) -> web.StreamResponse:
    """``ready`` once listening (the page reads its state then, so nothing falls between),
    then each event as ``data``, ``resync`` when some were dropped for a page that fell
    behind, and ``expired`` when the token runs out."""
    grant, who, profile = request[GRANT], caller(request), request[PROFILE]
    tail, services = request.config_dict[TAIL], parts(request).services
    numbers = await numbers_of(request)
    if tail.holding(grant) >= STREAMS_PER_TOKEN:  # then subscribed with no wait between
        why = f"at most {STREAMS_PER_TOKEN} live views open at once with one link: close one"
        return error_response(429, why, {"Retry-After": "5"})
    queue = await tail.subscribe(numbers, grant)
    try:
        ours, others = set(await profile_conversations(request)), set[str]()
        response = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream",
                "Cache-Control": "no-store",
                "X-Accel-Buffering": "no",
            }
        )
        await response.prepare(request)
        past_the_store(request)  # open for the token's hour; a stalled store ends it not
        await response.write(b"event: ready\ndata: {}\n\n")
        rescoped = time.monotonic()
        while (left := grant.expires_at - time.time()) > 0:
            if time.monotonic() - rescoped > RESCOPE:
                if not key_holds(grant, await services.token_digest(grant.service)):
                    break  # its API token was replaced: the token ends with it
                await tail.rescope(queue, await numbers_of(request))
                ours, others = set(await profile_conversations(request)), set()
                rescoped = time.monotonic()
            try:
                item = await asyncio.wait_for(queue.get(), min(HEARTBEAT, left))
            except TimeoutError:
                await response.write(b": still here\n\n")
                continue
            if item == STOP:
                return response
            if item == RESYNC:
                await response.write(b"event: resync\ndata: {}\n\n")
                continue
            assert not isinstance(item, str)
            event = json.loads(item.body)
            data = event.get("data") or {}
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
            # Attached as the service is now: a detach ends what it sees at once, not at
            # the next rescope; detached from every number, its view ends.
            if not await _attached(request, who.name, event.get("number") or ""):
                if not await numbers_of(request):
                    return response
                continue
            # Masked as the service is now: its masking may have changed since the
            # stream opened (its webhooks follow a change at their next delivery).
            found, digest = await services.get_keyed(who.name)
            if found is None:  # the service is gone: so is its view
                return response
            if not key_holds(grant, digest):
                break  # its API token was replaced since the stream opened
            who = found
            await response.write(b"data: " + render(who, item.body) + b"\n\n")
        await response.write(b"event: expired\ndata: {}\n\n")
    except ConnectionResetError:  # the page went away
        pass
    finally:
        tail.unsubscribe(queue)
    return response


async def _attached(request: web.Request, service: str, number: str) -> bool:
    """Whether ``service`` is attached to ``number`` now; to any, for a profile's event,
    which concerns every number."""
    if not number:
        return bool(await numbers_of(request))
    return service in await parts(request).actions.services.order(number)
