"""The tracking routes: tracked link clicks (``GET /l/{token}``, PS-3) and web events
(``POST /t/events``, PS-4) with CORS for configured origins, and a profile's activity."""

from __future__ import annotations

import json
import logging
import math
import re
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from adapters import webchat
from bot.core.links import Link, LinkSigners
from bot.core.profiles import ProfileBook
from bot.core.visitor_tokens import hash_matches, visitor_hash
from bot.http.body import read_at_most
from bot.http.errors import error_response, store_time
from bot.logs import Quiet
from bot.model import Identity
from stores.activity import ActivityStore
from stores.profiles import Merge, ProfileStore
from stores.redis import StoreError

log = logging.getLogger(__name__)

VISITOR_COOKIE = webchat.VISITOR_COOKIE
"""``sb_vid``: the web chat's cookie too, so a browser is one visitor on both."""
VISITOR_HASH_COOKIE = "sb_vh"
"""The visitor id's hash, beside it where SWITCHBOARD_VISITOR_SECRET is set: a browser's
cookie can be written by anyone, the hash only by the bot."""
COOKIE_MAX_AGE = 365 * 24 * 3600
MAX_BODY = 64 * 1024
EVENT_WINDOW = 3600.0
"""The window of the events all visitors together may post (``event_bytes_per_hour``)."""
CLICK_BYTES = 300
"""What a click keeps besides its target and message id: the visitor's two keys, and its
entries there and on the profile."""
MAX_BATCH = 50
MAX_URL = 2048
MAX_TITLE = MAX_VALUE = 1024
MAX_PROPERTIES = 50
MAX_SAFE_INTEGER = 2**53 - 1
"""Past this a number loses digits in the JavaScript that reads the history back."""
PREFLIGHT_MAX_AGE = 600
DEFAULT_PORTS = {"http": 80, "https": 443}

PREVIEWERS = re.compile(
    r"TelegramBot|WhatsApp/|facebookexternalhit|Facebot|Twitterbot|Slackbot|Discordbot"
    r"|LinkedInBot|SkypeUriPreview|Googlebot|bingbot|Applebot|vkShare|Pinterestbot"
    r"|redditbot|Embedly|Iframely|Snap URL Preview"
)
"""The user agents of the apps' link preview fetchers and of crawlers, which follow a link
with a GET that no person made."""
_TYPE = re.compile(r"[a-z0-9_.-]{1,64}")
_PROPERTY = re.compile(r"[A-Za-z0-9_.$-]{1,64}")
_SESSION = re.compile(r"[A-Za-z0-9_-]{1,64}")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_EVENT_KEYS = (
    "type",
    "url",
    "title",
    "referrer",
    "properties",
    "session",
    "visitor_id",
    "visitor_hash",
)


class EventError(ValueError):
    """A web event the tracker refuses; the message says what is wrong, for a 400."""


@dataclass(frozen=True, slots=True)
class Tracking:
    """What the tracking routes work with; the runtime builds it."""

    profiles: ProfileStore
    activity: ActivityStore
    book: ProfileBook
    links: LinkSigners
    public_url: str
    origins: tuple[str, ...]
    """The sites whose pages may post events here (CORS)."""
    clicked: Callable[[str], Awaitable[None]] | None = None
    """Told the message id of each click (a campaign's recipient clicked)."""
    visitor_secret: str = field(default="", repr=False)
    """SWITCHBOARD_VISITOR_SECRET: when set, a visitor id is taken only with its hash, the
    widget's ``visitor_hash`` or the ``sb_vh`` cookie beside ``sb_vid``."""
    event_bytes_per_hour: int = 64 * 1024 * 1024
    """The bytes of events all visitors together may post in an hour (a client may take a
    new visitor at will): past it, a post is refused until the next hour."""

    @property
    def secure(self) -> bool:
        """Whether the bot is served over HTTPS (PUBLIC_URL): its cookies are Secure."""
        return self.public_url.lower().startswith("https://")

    @property
    def own_origin(self) -> str:
        """PUBLIC_URL's origin as a browser's ``Origin`` names it: without the scheme's
        default port (``https://chat.example.com:443`` is ``https://chat.example.com``)."""
        parts = urlsplit(self.public_url)
        netloc = parts.netloc
        if parts.port is not None and parts.port == DEFAULT_PORTS.get(parts.scheme.lower()):
            netloc = netloc.rsplit(":", 1)[0]
        return f"{parts.scheme}://{netloc}".lower()


TRACKING: web.AppKey[Tracking] = web.AppKey("tracking", Tracking)


def add_tracking_routes(app: web.Application, tracking: Tracking) -> None:
    app[TRACKING] = tracking
    app.router.add_get("/l/{token}", follow_link)  # HEAD too
    app.router.add_post("/t/events", post_events)
    app.router.add_route("OPTIONS", "/t/events", events_preflight)


def new_visitor_id() -> str:
    return secrets.token_urlsafe(16)


def _set_visitor_cookie(response: web.StreamResponse, tracking: Tracking, vid: str) -> None:
    values = {VISITOR_COOKIE: vid}
    if tracking.visitor_secret:
        values[VISITOR_HASH_COOKIE] = visitor_hash(tracking.visitor_secret, vid)
    for name, value in values.items():
        response.set_cookie(
            name,
            value,
            max_age=COOKIE_MAX_AGE,
            path="/",
            httponly=True,
            samesite="Lax",
            secure=tracking.secure,
        )


def cookie_visitor(request: web.Request, tracking: Tracking) -> str | None:
    """The visitor of the request's cookie, None when it has none; where the bot checks
    visitor ids, None too for one without the hash the bot gave it (a cookie anyone may
    write, naming someone else's id)."""
    vid = webchat.visitor_id(request.cookies.get(VISITOR_COOKIE))
    secret = tracking.visitor_secret
    if vid and secret and not hash_matches(secret, vid, request.cookies.get(VISITOR_HASH_COOKIE)):
        return None
    return vid


def keep_visitor(request: web.Request, response: web.StreamResponse, tracking: Tracking) -> None:
    """Give the browser a visitor cookie (``Secure`` when the chat is served over HTTPS,
    PUBLIC_URL, so that it never travels in the clear): its own again, for a year from
    this visit, so that a visitor who comes back keeps their chat; else a new one."""
    _set_visitor_cookie(response, tracking, cookie_visitor(request, tracking) or new_visitor_id())


async def follow_link(request: web.Request) -> web.StreamResponse:
    """302 to the target a valid token names; the request itself never chooses it."""
    tracking = request.app[TRACKING]
    signer, token = await tracking.links.signer(), request.match_info["token"]
    link = signer.verify(token)
    if link is None and token[-1:] in ("_", "~", "*"):
        # A link in WhatsApp's _italics_ (or ~strike~, *bold*): an app that took the
        # closing marker for part of the link asks for the token with it.
        link = signer.verify(token[:-1])
    if link is None:
        return error_response(404, "this link is unknown or has been altered")
    # no-store: each click comes back here to be counted. no-referrer: the target site
    # must not learn the token, which carries the profile and message ids.
    headers = {
        "Location": link.target,
        "Cache-Control": "no-store",
        "Referrer-Policy": "no-referrer",
    }
    response = web.Response(status=302, headers=headers)
    if request.method == "HEAD" or PREVIEWERS.search(request.headers.get("User-Agent", "")):
        # Link previews and scanners probe with HEAD, and the apps' preview fetchers with
        # GET (Telegram's, WhatsApp's): nobody's click, nobody's browser.
        return response
    try:
        async with store_time():
            return await _counted(request, tracking, link, response)
    except StoreError as error:
        # Redis down or stalled: the customer still gets where the link goes, uncounted.
        if (more := _UNCOUNTED.due(time.monotonic())) is not None:
            log.warning("a link's click is not counted: the store failed (%s)%s", error, more)
        return response


_UNCOUNTED = Quiet(60.0, "clicks")
"""Clicks the store failed to count, said once a minute at most."""


async def _counted(
    request: web.Request, tracking: Tracking, link: Link, response: web.Response
) -> web.Response:
    """``response``, the click counted and its browser joined to the link's person."""
    root = await tracking.profiles.root(link.profile)
    if not root:
        return response  # erased or unknown: nobody to link, nothing to record (PS-7)
    # A click without a cookie is a new visitor, kept a year: what clicks keep counts with
    # the web events, so that no one client fills Redis. Past it, the click still goes.
    kept = len(link.target) + len(link.message) + CLICK_BYTES
    if await tracking.activity.spend(kept, tracking.event_bytes_per_hour, EVENT_WINDOW):
        if tracking.clicked is not None:
            await tracking.clicked(link.message)  # a recipient's mark, bounded by the campaign
        return response
    vid = cookie_visitor(request, tracking) or new_visitor_id()
    owner = await tracking.profiles.attach(root, Identity("vid", vid), "web")
    if owner and owner != root and await _anonymous(tracking, owner):
        # The browser's own web chat, of somebody nobody knew: the person the link was sent
        # to, as its anonymous page views are. It keeps its id, and its chat.
        merged = await tracking.book.merge(root, owner)
        if isinstance(merged, Merge):
            root = merged.survivor
            owner = root
    if owner and owner != root:
        # The browser is someone else's (a shared computer): two people are never merged
        # on a cookie, so this click gets a visitor id of its own.
        vid = new_visitor_id()
        await tracking.profiles.attach(root, Identity("vid", vid), "web")
    await tracking.activity.record_click(vid, root, link.message, link.target)
    if tracking.clicked is not None:
        await tracking.clicked(link.message)
    _set_visitor_cookie(response, tracking, vid)
    return response


async def _anonymous(tracking: Tracking, profile_id: str) -> bool:
    """Whether a profile knows nothing of its person but browsers' visitor ids (a web
    chat's lead who gave no email, no phone)."""
    identities = (await tracking.profiles.get(profile_id)).get("identities") or []
    return all(str(key).startswith("vid:") for key in identities)


def _cors_headers(request: web.Request, tracking: Tracking) -> dict[str, str] | None:
    """Headers for an answer to ``request``; None when its Origin may not post here."""
    headers = {"Vary": "Origin"}
    origin = request.headers.get("Origin")
    if origin is None or origin.lower() == tracking.own_origin:
        return headers  # not a browser on another site: no CORS to speak of
    if origin.lower() not in {o.rstrip("/").lower() for o in tracking.origins}:
        return None
    headers["Access-Control-Allow-Origin"] = origin  # echoed, never "*": cookies ride along
    headers["Access-Control-Allow-Credentials"] = "true"
    return headers


async def events_preflight(request: web.Request) -> web.Response:
    headers = _cors_headers(request, request.app[TRACKING])
    if headers is None:
        return error_response(403, "this origin may not send events here")
    headers |= {
        "Access-Control-Allow-Methods": "POST, OPTIONS",
        "Access-Control-Allow-Headers": "Content-Type",
        "Access-Control-Max-Age": str(PREFLIGHT_MAX_AGE),
    }
    return web.Response(status=204, headers=headers)


async def _read_capped(request: web.Request) -> bytes | None:
    """The body, or None past ``MAX_BODY``, found before reading more than that."""
    if request.content_length is not None and request.content_length > MAX_BODY:
        return None
    body = await read_at_most(request, MAX_BODY)
    return None if len(body) > MAX_BODY else body


async def post_events(request: web.Request) -> web.Response:
    """Record 1 to 50 web events of one visitor: all of them, or none and a 4xx."""
    tracking = request.app[TRACKING]
    headers = _cors_headers(request, tracking)
    if headers is None:
        return error_response(403, "this origin may not send events here", {"Vary": "Origin"})
    raw = await _read_capped(request)
    if raw is None:
        return error_response(413, f"the body is larger than {MAX_BODY // 1024} KiB", headers)
    try:
        events, body_visitor, hashes = parse_events(raw)
    except EventError as error:
        return error_response(400, str(error), headers)
    async with store_time():  # a stalled Redis: a 503 in time, not a page held for good
        return await _recorded(request, tracking, headers, raw, events, body_visitor, hashes)


async def _recorded(
    request: web.Request,
    tracking: Tracking,
    headers: dict[str, str],
    raw: bytes,
    events: list[dict[str, Any]],
    body_visitor: str | None,
    hashes: set[str],
) -> web.Response:
    """The answer to a good body of web events, once they are recorded (or refused past
    the hour's budget)."""
    from_cookie = cookie_visitor(request, tracking)
    secret = tracking.visitor_secret
    if body_visitor and secret and not any(hash_matches(secret, body_visitor, h) for h in hashes):
        # A visitor id in a body can be copied by anyone: only the site's server, which
        # holds the secret, vouches for the ids its pages name. Without its hash it counts
        # as none, as a bare cookie does: these events get a visitor of their own.
        body_visitor = None
    vid = from_cookie or body_visitor or new_visitor_id()
    # Each post may be a new visitor's, kept a year: what all of them keep is bounded, so
    # that no one client fills Redis.
    wait = await tracking.activity.spend(len(raw), tracking.event_bytes_per_hour, EVENT_WINDOW)
    if wait:
        retry = {"Retry-After": str(math.ceil(wait))}
        return error_response(429, "no more web events are taken this hour", headers | retry)
    await tracking.activity.record_many(vid, events)
    # Only the browser holding the cookie learns its profile: a visitor id in a body
    # can be copied by anyone.
    profile = await tracking.profiles.lookup(Identity("vid", vid)) if from_cookie else ""
    answer = {"visitor_id": vid, "accepted": len(events), "profile": profile or None}
    response = web.json_response(answer, status=202, headers=headers)
    if not from_cookie and not body_visitor:
        _set_visitor_cookie(response, tracking, vid)
    return response


def _refuse_constant(name: str) -> Any:
    raise EventError(f"{name} is not a number JSON allows")


def parse_events(raw: bytes) -> tuple[list[dict[str, Any]], str | None, set[str]]:
    """The events of a body (one object or a list), the ``visitor_id`` they name, and the
    ``visitor_hash`` values they give for it."""
    try:
        body = json.loads(raw, parse_constant=_refuse_constant)
    except EventError:
        raise
    except (ValueError, RecursionError):
        raise EventError("the body is not valid JSON") from None
    items = [body] if isinstance(body, dict) else body
    if not isinstance(items, list):
        raise EventError("the body must be one event (a JSON object) or a list of events")
    if not 1 <= len(items) <= MAX_BATCH:
        raise EventError(f"send 1 to {MAX_BATCH} events at a time, not {len(items)}")
    events, visitors, hashes = [], set(), set()
    for index, item in enumerate(items):
        try:
            event, visitor = parse_event(item)
            given = item.get("visitor_hash")
            if given is not None and not isinstance(given, str):
                raise EventError("visitor_hash must be a string")
        except EventError as error:
            where = f"event {index}" if isinstance(body, list) else "the event"
            raise EventError(f"{where}: {error}") from None
        events.append(event)
        visitors.add(visitor)
        if given:
            hashes.add(given)
    visitors.discard(None)
    if len(visitors) > 1:
        raise EventError("the events name different visitor_ids; send one visitor at a time")
    return events, visitors.pop() if visitors else None, hashes


def parse_event(item: Any) -> tuple[dict[str, Any], str | None]:
    """One event, checked field by field, and its ``visitor_id`` if it names one."""
    if not isinstance(item, dict):
        raise EventError("an event is a JSON object")
    unknown = sorted(set(item) - set(_EVENT_KEYS))
    if unknown:
        raise EventError(
            f"unknown field {unknown[0][:64]!r}; an event has " + ", ".join(_EVENT_KEYS)
        )
    kind = item.get("type")
    if not isinstance(kind, str) or not _TYPE.fullmatch(kind):
        raise EventError("type must be page_view or a name of 1 to 64 of a-z 0-9 _ . -")
    event: dict[str, Any] = {"type": kind}
    for name in ("url", "referrer"):
        if item.get(name) not in (None, ""):
            event[name] = _page_url(item[name], name)
    if kind == "page_view" and "url" not in event:
        raise EventError("a page_view needs the url of the page")
    if item.get("title") not in (None, ""):
        event["title"] = _text(item["title"], "title", MAX_TITLE)
    if item.get("properties") not in (None, {}):
        event["properties"] = _properties(item["properties"])
    session = item.get("session")
    if session is not None:
        if not isinstance(session, str) or not _SESSION.fullmatch(session):
            raise EventError("session must be 1 to 64 of A-Z a-z 0-9 _ -")
        event["session"] = session
    visitor = item.get("visitor_id")
    if visitor is not None and (not isinstance(visitor, str) or not webchat.visitor_id(visitor)):
        raise EventError("visitor_id must be 16 to 64 of A-Z a-z 0-9 _ -")
    return event, visitor


def _text(value: Any, name: str, cap: int) -> str:
    if not isinstance(value, str):
        raise EventError(f"{name} must be a string")
    if len(value) > cap:
        raise EventError(f"{name} is longer than {cap} characters")
    if _CONTROL.search(value):
        raise EventError(f"{name} holds control characters or broken unicode")
    return value


def _page_url(value: Any, name: str) -> str:
    url = _text(value, name, MAX_URL)
    try:
        parts = urlsplit(url)
        absolute = parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
    except ValueError:
        absolute = False
    # Only web pages: a javascript: or data: URL shown in an agent's view is a trap.
    if not absolute or any(ch.isspace() for ch in url):
        raise EventError(f"{name} must be an absolute http(s) URL without spaces")
    return url


def _properties(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise EventError("properties must be a JSON object")
    if len(value) > MAX_PROPERTIES:
        raise EventError(f"properties has {len(value)} keys; at most {MAX_PROPERTIES}")
    for key, item in value.items():
        if not _PROPERTY.fullmatch(key):
            raise EventError(f"property names are 1 to 64 of A-Z a-z 0-9 _ . $ -: {key[:64]!r}")
        if isinstance(item, str):
            _text(item, f"property {key}", MAX_VALUE)
        elif isinstance(item, bool) or item is None:
            continue
        elif isinstance(item, int):
            if abs(item) > MAX_SAFE_INTEGER:
                raise EventError(f"property {key} is beyond ±2^53")
        elif isinstance(item, float):
            if not math.isfinite(item):
                raise EventError(f"property {key} is not a finite number")
        else:
            raise EventError(f"properties must be flat: {key} holds a {type(item).__name__}")
    return dict(value)


async def profile_activity(tracking: Tracking, profile_id: str, limit: int = 100) -> dict[str, Any]:
    """A profile's web events (through its visitor ids) and its link clicks, oldest first.

    LookupError when the profile is unknown or erased.
    """
    root = await tracking.profiles.root(profile_id)
    profile = await tracking.profiles.get(root) if root else {}
    if not profile:
        raise LookupError(f"no profile {profile_id}")
    vids = [key[4:] for key in profile.get("identities", ()) if key.startswith("vid:")]
    # A merged profile's clicks stay under its id; they are read through the merges.
    merged = await tracking.book.with_merged(root)
    return {
        "visitors": vids,
        "events": await tracking.activity.for_profile(vids, limit),
        "clicks": await tracking.activity.clicks_of(merged, limit),
    }
