"""The web chat as a widget on the pages of ``tracking.origins`` (CH-5): the script
(``/widget.js``), the panel it frames (``/widget``), and the visitor token that stands in for
the cookie a browser does not send from inside another site's page."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from importlib import resources
from urllib.parse import urlsplit

from aiohttp import web

from adapters import jsonbody, webchat
from bot.config.base import ORIGIN
from bot.core.visitor_tokens import VisitorTokens, hash_matches, visitor_hash
from bot.http.body import read_at_most
from bot.http.errors import error_response
from bot.http.tracking import Tracking, cookie_visitor, keep_visitor, new_visitor_id

MAX_BODY = 1024
PREFLIGHT_MAX_AGE = 600


@dataclass(frozen=True, slots=True)
class Widget:
    """What the widget's routes work with; the runtime builds it."""

    tracking: Tracking
    tokens: VisitorTokens
    branding: webchat.Branding

    def allows(self, origin: str | None) -> bool:
        """Whether a page of ``origin`` may show the widget: ours, or a tracked site's."""
        if not origin:
            return False
        allowed = {o.rstrip("/").lower() for o in self.tracking.origins}
        return origin.lower() in allowed | {self.tracking.own_origin}

    @property
    def frame_ancestors(self) -> str:
        # Only origins that cannot carry another directive: the config allows more.
        sites = [o.rstrip("/") for o in self.tracking.origins if ORIGIN.fullmatch(o.rstrip("/"))]
        return " ".join(["'self'", *sites])


WIDGET: web.AppKey[Widget] = web.AppKey("widget", Widget)


def add_widget_routes(app: web.Application, widget: Widget) -> None:
    app[WIDGET] = widget
    app.router.add_get("/widget.js", widget_script)
    app.router.add_get("/widget", widget_panel)
    app.router.add_post("/webchat/token", issue_token)
    app.router.add_route("OPTIONS", "/webchat/token", token_preflight)


def _origin_of(url: str | None) -> str | None:
    try:
        parts = urlsplit(url or "")
    except ValueError:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else None


@functools.cache
def _source() -> str:
    return resources.files("adapters").joinpath("widget.js").read_text(encoding="utf-8")


def script(widget: Widget) -> str:
    """``widget.js`` with this deployment's address and branding written in; where the bot
    checks visitor ids, with a new id and its hash for a page whose site has none yet
    (an id made on the page would be refused)."""
    source = _source()
    secret = widget.tracking.visitor_secret
    fresh = None
    if secret:
        made = new_visitor_id()
        fresh = {"visitor_id": made, "visitor_hash": visitor_hash(secret, made)}
    values = {
        "base": widget.tracking.public_url.rstrip("/"),
        "title": widget.branding.title,
        "colour": widget.branding.colour,
        "fresh": fresh,
    }
    for name, value in values.items():
        source = source.replace(f"{{{{{name}}}}}", json.dumps(value).replace("</", "<\\/"))
    return source


async def widget_script(request: web.Request) -> web.Response:
    """The script a site's page loads; a page of another site gets 403, not a launcher."""
    widget = request.app[WIDGET]
    referer = request.headers.get("Referer")
    # Without a Referer (a privacy setting) the token's Origin check still stands.
    if referer is not None and not widget.allows(_origin_of(referer)):
        return error_response(
            403, "this site is not in tracking.origins: it may not load the chat widget"
        )
    # With a visitor of its own in it, no cache may hand one script to two browsers.
    cache = "no-store" if widget.tracking.visitor_secret else "no-cache"
    headers = {"Cache-Control": cache, "Vary": "Referer"}
    return web.Response(
        text=script(widget), content_type="text/javascript", charset="utf-8", headers=headers
    )


async def widget_panel(request: web.Request) -> web.Response:
    """The chat in the widget's frame; only our own pages and the tracked sites may frame it."""
    widget = request.app[WIDGET]
    headers = {
        "Content-Security-Policy": f"frame-ancestors {widget.frame_ancestors}",
        "Cache-Control": "no-cache",
    }
    response = web.Response(
        text=webchat.page(widget.branding), content_type="text/html", headers=headers
    )
    # Opened in a page of its own (no token), it chats as the cookie's visitor, as / does.
    keep_visitor(request, response, widget.tracking)
    return response


def _cors(origin: str) -> dict[str, str]:
    return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}


async def token_preflight(request: web.Request) -> web.Response:
    origin = request.headers.get("Origin")
    if not request.app[WIDGET].allows(origin):
        return error_response(403, "this origin may not open the chat widget", {"Vary": "Origin"})
    assert origin is not None
    headers = _cors(origin) | {
        "Access-Control-Allow-Methods": "POST, OPTIONS",
        "Access-Control-Allow-Headers": "Content-Type",
        "Access-Control-Max-Age": str(PREFLIGHT_MAX_AGE),
    }
    return web.Response(status=204, headers=headers)


async def issue_token(request: web.Request) -> web.Response:
    """A visitor token for the page's visitor id (a new one when it names none)."""
    widget = request.app[WIDGET]
    origin = request.headers.get("Origin")
    if not widget.allows(origin):
        return error_response(403, "this origin may not open the chat widget", {"Vary": "Origin"})
    assert origin is not None
    headers = _cors(origin) | {"Cache-Control": "no-store"}
    if (request.content_length or 0) > MAX_BODY:
        return error_response(413, f"the body is larger than {MAX_BODY} bytes", headers)
    raw = await read_at_most(request, MAX_BODY)
    if len(raw) > MAX_BODY:
        return error_response(413, f"the body is larger than {MAX_BODY} bytes", headers)
    try:
        body = jsonbody.loads(raw or b"{}")
    except jsonbody.NotJSONError as error:
        return error_response(400, str(error), headers)
    if not isinstance(body, dict) or set(body) - {"visitor_id", "visitor_hash"}:
        return error_response(
            400, 'the body is {"visitor_id": ..., "visitor_hash": ...} or {}', headers
        )
    given = body.get("visitor_id")
    if given is not None and (not isinstance(given, str) or not webchat.visitor_id(given)):
        return error_response(400, "visitor_id must be 16 to 64 of A-Z a-z 0-9 _ -", headers)
    secret = widget.tracking.visitor_secret
    if given and secret and not hash_matches(secret, given, body.get("visitor_hash")):
        # Whoever knows (or guesses) an id must not open that visitor's chat: only the
        # site's server, which holds the secret, vouches for the ids its pages name.
        return error_response(
            403,
            "this visitor_id needs its visitor_hash: the hex HMAC-SHA256 of the id with"
            " SWITCHBOARD_VISITOR_SECRET, made by the site's server",
            headers,
        )
    visitor = given or new_visitor_id()
    try:
        token, expires = (await widget.tokens.signer()).sign(visitor, origin.lower())
    except ValueError:  # PUBLIC_URL's own origin, with a host no token carries
        return error_response(403, "this origin cannot carry a visitor token", headers)
    answer: dict[str, object] = {"token": token, "visitor_id": visitor, "expires_at": expires}
    if secret:  # the page keeps it, to name this id again
        answer["visitor_hash"] = visitor_hash(secret, visitor)
    return web.json_response(answer, headers=headers)


async def socket_visitor(request: web.Request) -> str:
    """The visitor of a socket: its token's, or its cookie's; HTTPException when neither."""
    token = request.query.get("token")
    widget = request.app[WIDGET]
    if token is None:
        visitor = cookie_visitor(request, widget.tracking)
        if visitor is None:
            raise web.HTTPBadRequest(
                reason="open the chat page first: it issues the visitor cookie"
            )
        # A browser sends the cookie from any page of the same site (another subdomain,
        # another port): only our own pages may open the chat with it.
        origin = request.headers.get("Origin")
        if origin and not our_page(request, origin, widget.tracking.own_origin):
            raise web.HTTPForbidden(reason="this page may not open that visitor's chat")
        return visitor
    found = (await widget.tokens.signer()).verify(token)
    if found is None:
        raise web.HTTPUnauthorized(
            reason="the visitor token is unknown, altered or expired: reload the page"
        )
    origin = request.headers.get("Origin")
    if origin and origin.lower() not in (widget.tracking.own_origin, found.origin):
        raise web.HTTPForbidden(reason="this page may not open that visitor's chat")
    return found.visitor


def our_page(request: web.Request, origin: str, own_origin: str) -> bool:
    """Whether ``origin`` is a page of ours: PUBLIC_URL's, or the host the request came to
    (the chat opened as localhost while PUBLIC_URL says 127.0.0.1, a proxy's name)."""
    given = _host_and_port(origin)
    return given in (_host_and_port(own_origin), _host_and_port(f"http://{request.host}"))


def _host_and_port(origin: str) -> str:
    """An origin's host and port, the scheme's default port left out, as browsers send it."""
    parts = urlsplit(origin.strip().lower())
    default = {"http": 80, "https": 443}.get(parts.scheme)
    try:
        port = parts.port
    except ValueError:
        return ""
    host = parts.hostname or ""
    return host if port in (None, default) else f"{host}:{port}"


async def token_visitor(request: web.Request, token: str) -> str | None:
    """The visitor a widget's token names; None for a token unknown, altered or expired."""
    found = (await request.app[WIDGET].tokens.signer()).verify(token)
    return None if found is None else found.visitor
