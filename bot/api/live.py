"""The live chat view: ``POST /v1/live-tokens`` issues a short-lived token for one profile,
and ``/live/api`` serves the page that holds it. Every action of the page goes through the
/v1 routes' own handlers, as the token's service and agent, on that profile's
conversations on that service's numbers alone."""

from __future__ import annotations

import html
import math
import time
from collections.abc import Awaitable, Callable
from importlib import resources
from typing import Any

from aiohttp import web

from adapters.webchat import FILE_BURST, FILES_PER_MINUTE, TOO_FAST, Pace
from bot.api.common import (
    CALLER,
    RAW_BODY,
    SHOWN_ONCE,
    ApiError,
    acting,
    find_profile,
    numbers_of,
    only_fields,
    parts,
    read_body,
    require_attached,
    string_field,
)
from bot.api.conversations import (
    agent_field,
    claim,
    get_conversation,
    public,
    release,
    reply,
)
from bot.api.media import download, upload
from bot.api.starts import reachable, start_conversation
from bot.core.livetokens import KEY_CHARS, LiveGrant
from bot.http.errors import error_response, unauthorized
from bot.model import Identity, Service, compact_json, conversation_id
from bot.outreach.audience import OPEN_TO_NEW
from bot.outreach.spec import channel_of
from bot.team.actions import collision_message
from stores.conversations import WINDOW_SECONDS

GRANT: web.RequestKey[LiveGrant] = web.RequestKey("live_grant", LiveGrant)
PROFILE: web.RequestKey[str] = web.RequestKey("live_profile", str)
"""The live profile the token's profile leads to now (merges followed)."""
UNAUTHORIZED = "this live view link has expired or is not valid: open it again from your CRM"
MIN_TTL = 30
PAGE_ROUTE = "live_page"
UPLOADS: web.AppKey[Pace] = web.AppKey("live_uploads", Pace)
"""Each live token's pace of uploads, a web chat visitor's of files: each is kept a day in
Redis, and a live link lives in a browser (an iframe's address)."""
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",  # the token is in the page's address
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
        "connect-src 'self'; img-src 'self' data: blob:; base-uri 'none'; form-action 'none'"
    ),
}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def add_live_token_routes(api: web.Application) -> None:
    api.router.add_post("/live-tokens", issue_live_token)


async def issue_live_token(request: web.Request) -> web.Response:
    """``{profile, agent, ttl?}``: a token for the live view of ``profile``, acting as
    ``agent`` of the caller's service, for ``ttl`` seconds (at most ``live.token_ttl``)."""
    who, api = acting(request), parts(request)
    found = await read_body(request)
    only_fields(found, ("profile", "agent", "ttl"), "give profile, agent, ttl")
    reference = string_field(found, "profile", limit=300)
    agent = agent_field(found)  # one line, as every reply and claim of its page checks it
    longest = api.live_tokens.ttl
    ttl = found.get("ttl", longest)
    if isinstance(ttl, bool) or not isinstance(ttl, (int, float)) or not MIN_TTL <= ttl <= longest:
        raise ApiError(400, f"'ttl' is a number of seconds from {MIN_TTL} to {longest:g}")
    await require_attached(request)  # detached everywhere, it may not look up profiles
    profile = await find_profile(request, reference)
    signer = await api.live_tokens.signer()
    key = await api.services.token_digest(who.name)
    token, expires_at = signer.issue(who.name, profile, agent, float(ttl), key)
    url = f"{api.public_url}/live?profile={profile}&token={token}"
    answer = {"token": token, "expires_at": expires_at, "profile": profile, "agent": agent}
    response = web.json_response(answer | {"url": url}, status=201)
    response[SHOWN_ONCE] = ("token", "url")
    return response


# --- the page's calls, with the live token ---------------------------------------------


def key_holds(grant: LiveGrant, digest: str) -> bool:
    """Whether the API token a live token was made with is still its service's, whose
    token's digest is ``digest``."""
    return grant.key == digest[:KEY_CHARS]


async def grant_of(request: web.Request, token: str) -> tuple[LiveGrant, Service, str] | None:
    """The grant of a valid token, its service and its profile now; None for a token that
    is missing, forged, tampered with or expired, or whose service or profile is gone, or
    whose service is attached to no number any more (it may not read profiles), or whose
    service's API token was replaced since it was made."""
    api = parts(request)
    grant = (await api.live_tokens.signer()).verify(token)
    if grant is None:
        return None
    service, digest = await api.services.get_keyed(grant.service)
    root = await api.profiles.profiles.root(grant.profile)
    if service is None or not root or not await api.actions.numbers_of(service.name):
        return None
    # Made with an API token since replaced (rotated after a leak, say): ended with it.
    if not key_holds(grant, digest):
        return None
    return grant, service, root


@web.middleware
async def authenticate_live(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The live token, from ``Authorization: Bearer`` (or ``?token=`` for the event stream,
    which a browser opens without headers)."""
    if request.match_info.route.name == PAGE_ROUTE:
        return await handler(request)  # the page checks its token itself, and answers HTML
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip() if scheme.lower() == "bearer" else ""
    if not token and request.path.endswith("/stream"):
        token = request.query.get("token", "")
    found = await grant_of(request, token)
    if found is None:
        return unauthorized(UNAUTHORIZED, invalid=bool(token))
    request[GRANT], request[CALLER], request[PROFILE] = found
    return await handler(request)


def add_live_routes(live: web.Application) -> None:
    live[UPLOADS] = Pace(FILES_PER_MINUTE / 60, FILE_BURST)
    live.router.add_get("", live_page, name=PAGE_ROUTE)
    live.router.add_get("/api/state", state)
    live.router.add_post("/api/conversations", start)
    live.router.add_get("/api/conversations/{id}", scoped(get_conversation))
    live.router.add_post("/api/conversations/{id}/messages", scoped(reply))
    live.router.add_post("/api/conversations/{id}/claim", scoped(claim))
    live.router.add_post("/api/conversations/{id}/release", scoped(release))
    live.router.add_post("/api/media", paced_upload)
    live.router.add_get("/api/media/{id}", profile_file)


async def paced_upload(request: web.Request) -> web.StreamResponse:
    """A file kept as the service's own upload, at the token's pace (``UPLOADS``)."""
    grant, pace = request[GRANT], request.app[UPLOADS]
    holder = f"{grant.service}:{grant.profile}:{grant.agent}:{grant.expires_at}:{grant.key}"
    if not pace.take(holder):
        return error_response(429, TOO_FAST, {"Retry-After": str(math.ceil(pace.wait(holder)))})
    return await upload(request)


async def profile_file(request: web.Request) -> web.StreamResponse:
    """``GET /v1/media/{ref}`` for a file a customer sent in one of the profile's
    conversations (a photo the page shows); any other file is unknown here (404)."""
    ref = request.match_info["id"]
    timelines = parts(request).conversations
    for cid in await profile_conversations(request):
        for message in await timelines.timeline(cid, limit=500):
            if ref in _refs(message):
                return await download(request)
    raise ApiError(404, f"no media {ref[:80]} of this profile")


def _refs(message: dict[str, Any]) -> set[str]:
    """How the files of a message are fetched: a customer's from its provider by its
    ``ref``, a web chat visitor's (kept here) by its id; a reply's kept file (an agent's or
    a service's upload) by its id, which ``download`` shows only to whoever may have it."""
    if message.get("direction") != "inbound":
        media = message.get("media")
        upload = media.get("upload") if isinstance(media, dict) else None
        return {upload} if isinstance(upload, str) and upload else set()
    files = [message.get("media"), *(message.get("attachments") or [])]
    return {
        str(file.get("ref") or file.get("id"))
        for file in files
        if isinstance(file, dict) and (file.get("ref") or file.get("id"))
    }


async def live_page(request: web.Request) -> web.Response:
    """``/live?profile=<id or identity>&token=<live token>``: the page, for a valid token of
    that profile; 401 or 403 with nothing of anyone's in it otherwise."""
    found = await grant_of(request, request.query.get("token", ""))
    if found is None:
        return _closed(401, UNAUTHORIZED)
    reference = request.query.get("profile", "")
    try:
        asked = await parts(request).profiles.find(reference) if len(reference) <= 300 else ""
    except (LookupError, ValueError):
        asked = ""
    if asked != found[2]:
        return _closed(403, "this live view link is for another profile")
    return web.Response(text=page(), content_type="text/html", headers=PAGE_HEADERS)


def page() -> str:
    return resources.files("bot.api").joinpath("live.html").read_text(encoding="utf-8")


def _closed(status: int, message: str) -> web.Response:
    text = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Live chat</title>'
        f'</head><body><p role="alert">{html.escape(message)}</p></body></html>'
    )
    return web.Response(status=status, text=text, content_type="text/html", headers=PAGE_HEADERS)


def scoped(handler: Handler) -> Handler:
    """``handler`` for a conversation of the token's profile on the service's numbers, with
    the token's agent in the body: a page cannot act as anyone else."""

    async def within(request: web.Request) -> web.StreamResponse:
        conversation = request.match_info["id"]
        if conversation not in await profile_conversations(request):
            raise ApiError(404, f"no conversation {conversation[:80]} of this profile")
        if request.method == "POST":
            await _as_agent(request)
        return await handler(request)

    return within


async def _as_agent(request: web.Request, **more: str) -> None:
    """Put the token's agent (and ``more``) into the body the /v1 handler reads; 403 when
    the page names another agent."""
    found = await read_body(request)
    agent = request[GRANT].agent
    if found.get("agent", agent) != agent:
        raise ApiError(403, "this live view acts for the agent its token names")
    request[RAW_BODY] = compact_json(found | {"agent": agent} | more).encode()


async def start(request: web.Request) -> web.StreamResponse:
    """Start a conversation with the token's profile (``POST /v1/conversations``)."""
    found = await read_body(request)
    for field in ("profile", "identity"):
        if found.get(field) is not None:
            raise ApiError(400, f"the live view writes to its own profile: leave out {field}")
    await _as_agent(request, profile=request[PROFILE])
    return await start_conversation(request)


async def profile_conversations(request: web.Request) -> dict[str, dict[str, str]]:
    """The profile's conversations on the service's numbers, with their records: those
    stitched to it, and those of its phones and ids on each number, as a CRM record's
    phones find its chats."""
    api, profile = parts(request), request[PROFILE]
    numbers = await numbers_of(request)
    stored = await api.profiles.profiles.get(profile)
    identities = [_identity(key) for key in stored.get("identities", [])]
    candidates = dict.fromkeys(stored.get("conversations", []))
    for number in numbers:
        for identity in identities:
            found = identity and reachable(identity, channel_of(number))
            if found:
                candidates[conversation_id(number, found)] = None
    kept = {}
    for cid in candidates:
        meta = await api.conversations.meta(cid)
        if meta.get("number") in numbers and meta.get("customer") != "erased":
            kept[cid] = meta
    return kept


def _identity(key: str) -> Identity | None:
    try:
        return Identity.parse(key)
    except ValueError:
        return None


async def state(request: web.Request) -> web.Response:
    """What the page draws: the profile, its conversations on the service's numbers with
    their claims and windows, where a new one may start, and the approved templates."""
    api, grant, profile = parts(request), request[GRANT], request[PROFILE]
    stored = await api.profiles.profiles.get(profile)
    conversations = await profile_conversations(request)
    now = time.time()
    items = []
    for cid, meta in sorted(conversations.items(), key=lambda c: -float(c[1].get("last_at", 0))):
        holder = await api.claims.holder(cid)
        last_inbound = float(meta.get("last_inbound_at") or 0)
        windowed = meta.get("channel") == "whatsapp"
        open_window = not windowed or now - last_inbound <= WINDOW_SECONDS
        closes = last_inbound + WINDOW_SECONDS if windowed and last_inbound else None
        claim_view = None
        if holder is not None:
            claim_view = holder.to_dict() | {"message": collision_message(holder)}
        items.append(
            {
                "id": cid,
                **public(meta),
                "claim": claim_view,
                "window_open": open_window,
                "window_closes_at": closes,
            }
        )
    talking = {meta.get("number") for meta in conversations.values()}
    numbers = [
        {"number": n, "channel": channel_of(n), "conversation": n in talking}
        for n in await numbers_of(request)
    ]
    identities = [i for i in map(_identity, stored.get("identities", [])) if i]
    startable = [
        n["number"]
        for n in numbers
        if n["channel"] in OPEN_TO_NEW
        and not n["conversation"]
        and any(reachable(i, str(n["channel"])) for i in identities)
    ]
    return web.json_response(
        {
            "service": grant.service,
            "agent": grant.agent,
            "expires_at": grant.expires_at,
            "profile": {
                "id": profile,
                "name": stored.get("name", ""),
                "stage": stored.get("stage", ""),
                "identities": stored.get("identities", []),
            },
            "conversations": items,
            "numbers": numbers,
            "startable": startable,
            "templates": [
                {
                    "name": t.name,
                    "language": t.language,
                    "category": t.category,
                    "text": t.text,
                    "variables": list(t.variables),
                }
                for t in api.templates
            ],
        },
        headers={"Cache-Control": "no-store"},
    )
