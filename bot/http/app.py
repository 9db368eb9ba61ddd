"""The one aiohttp application: routes only; each route delegates to the parts it is given."""

from __future__ import annotations

import asyncio
import functools
import logging
import math
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, hdrs, web
from aiohttp.web_protocol import RequestPayloadError
from prometheus_client import CONTENT_TYPE_LATEST

from adapters import jsonbody, webchat, whatsapp
from adapters.webchat import WebChatHub
from bot.channels.telegram import TelegramChannel
from bot.config.settings import Settings, WhatsAppSettings
from bot.core.ingest import Ingestor
from bot.core.keywords import Keyword, keyword_of, keyword_table
from bot.core.links import shown_links
from bot.core.media import MB, MediaLibrary, MediaRefusedError, kind_of
from bot.core.metrics import Meters
from bot.http.access import access_log, echo_request_id, route_of
from bot.http.body import BodyTooSlowError, read_at_most
from bot.http.errors import (
    StoreFailures,
    error_response,
    quiet_unreadable_bodies,
    unreadable_body,
)
from bot.http.media import add_signed_media_route
from bot.http.tracking import Tracking, add_tracking_routes, cookie_visitor, keep_visitor
from bot.http.webhooks import add_channel_routes
from bot.http.widget import Widget, add_widget_routes, socket_visitor, token_visitor
from bot.model import Event, Identity, Inbound, conversation_id, derived_id, shallow_dict
from stores.conversations import ConversationStore
from stores.live import LiveChannel
from stores.media import MediaRecord
from stores.redis import StoreError, StoreRefusesWrites
from stores.services import ServiceStore

log = logging.getLogger(__name__)

WEBHOOKS = "/webhooks/"
MAX_BODY = 3 * 1024 * 1024
"""Meta's webhooks stay far below this; a bigger body is refused with 413 before it is read."""


@dataclass(frozen=True, slots=True)
class WebParts:
    """The collaborators of the routes outside /v1; the runtime builds them."""

    settings: Settings
    ingestor: Ingestor
    conversations: ConversationStore
    services: ServiceStore
    live: LiveChannel
    web_hub: WebChatHub
    telegram: TelegramChannel | None
    tracking: Tracking
    widget: Widget
    media: MediaLibrary
    """Kept files, served by their signed URLs."""
    api: web.Application
    """The /v1 application (``bot.api.app.build_api``)."""
    live_view: web.Application
    """The live chat view under /live (``bot.api.app.build_live``)."""
    configured: Sequence[str]
    """The numbers this deployment serves."""
    publish_to_parent: Callable[[list[Event]], Awaitable[None]]
    """Fans an event out to the parent of its number alone."""
    writable: Callable[[], Awaitable[object]]
    """Writes to the store; raises when it cannot be reached or refuses to write."""
    store_kind: str
    meters: Meters
    metrics: Callable[[], Awaitable[bytes]]
    """What ``/metrics`` shows, in Prometheus's text format."""


PARTS: web.AppKey[WebParts] = web.AppKey("parts", WebParts)
STORE_FAILURES: web.AppKey[StoreFailures] = web.AppKey("store_failures", StoreFailures)
KEYWORDS: web.AppKey[Mapping[str, Mapping[str, Keyword]]] = web.AppKey("keywords")
"""Each channel's opt-out and opt-in words, as the pipeline reads them."""


def build_app(parts: WebParts) -> web.Application:
    quiet_unreadable_bodies()
    middlewares = [
        access_log(functools.partial(observe_webhook, parts.meters)),
        _json_errors,
        _plain_bodies,
    ]
    app = web.Application(client_max_size=MAX_BODY, middlewares=middlewares)
    app.on_response_prepare.append(echo_request_id)
    app[PARTS] = parts
    app[STORE_FAILURES] = StoreFailures()
    app[KEYWORDS] = keyword_table(parts.settings.keywords)
    app.router.add_get("/", chat_page)
    app.router.add_get("/webchat/socket", chat_socket)
    app.router.add_get("/webchat/visitor", chat_visitor)
    app.router.add_post("/webchat/files", chat_file)
    app.router.add_get("/favicon.ico", favicon)
    app.router.add_get("/webhooks/whatsapp", whatsapp_handshake)
    app.router.add_post("/webhooks/whatsapp", whatsapp_webhook)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
    add_tracking_routes(app, parts.tracking)
    add_widget_routes(app, parts.widget)
    add_signed_media_route(app, parts.media)
    add_channel_routes(app, parts.settings, parts.ingestor, parts.telegram)
    app.router.add_get("/v1/openapi.json", openapi)
    app.add_subapp("/v1", parts.api)
    app.add_subapp("/live", parts.live_view)
    return app


@web.middleware
async def _plain_bodies(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """A compressed body is refused unread, and its connection closed: no provider
    compresses what it posts, and 2 MB of gzip can be 2 GB to inflate."""
    encoding = request.headers.get(hdrs.CONTENT_ENCODING, "identity").strip().lower()
    if encoding not in ("", "identity"):
        response = error_response(
            415, f"Content-Encoding {encoding[:40]!r} is not taken: send the body as it is"
        )
        response.force_close()
        return response
    return await handler(request)


@web.middleware
async def _json_errors(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Every refusal is a JSON body with a clear ``error``; nothing escapes as a crash."""
    try:
        return await handler(request)
    except web.HTTPRequestEntityTooLarge as error:
        return error_response(413, error.text or "body too large")
    except web.HTTPException as error:
        if error.status < 400:
            raise
        allow = error.headers.get("Allow")  # a 405 names the methods the path takes
        return error_response(error.status, error.reason, {"Allow": allow} if allow else None)
    except RequestPayloadError as error:
        return unreadable_body(request, error)
    except BodyTooSlowError as error:
        request.content.feed_eof()  # what is left of it is waited for no more
        response = error_response(408, f"{error}: send it whole within seconds")
        response.force_close()
        return response
    except Exception as error:
        if isinstance(error, ConnectionResetError) and _gone(request):
            # The caller hung up before its request came whole: its doing, not a failure.
            log.info("%s %s: the caller closed the connection", request.method, route_of(request))
            return error_response(400, "the connection closed before the request came whole")
        # The store or a bug: the caller may retry (Meta does), and the process goes on.
        if isinstance(error, StoreError):  # Redis down, paused or full: said, not traced
            request.config_dict[STORE_FAILURES].said(request.method, route_of(request), error)
        else:
            log.exception("%s %s failed", request.method, route_of(request))  # no link token
        # When: a few seconds, the time the store's own retries and a restart take.
        return error_response(
            503,
            "temporarily unable to take this request; retry later",
            {"Retry-After": str(RETRY_AFTER_SECONDS)},
        )


RETRY_AFTER_SECONDS = 5
"""What a 503 of a store that failed says to wait (``Retry-After``)."""


def _gone(request: web.Request) -> bool:
    """Whether the caller's connection is closed (or closing)."""
    transport = request.transport
    return transport is None or transport.is_closing()


async def chat_page(request: web.Request) -> web.Response:
    parts = request.app[PARTS]
    response = web.Response(text=webchat.page(parts.settings.branding), content_type="text/html")
    keep_visitor(request, response, parts.tracking)
    return response


async def chat_visitor(request: web.Request) -> web.Response:
    """Whether the visitor cookie came with the request (or the widget's ``token`` is good),
    and why a socket of theirs would be refused now: a page whose socket is refused asks,
    to tell "not here" (a cross-site frame, cookies blocked, an expired token) and "too
    many tabs" from "down, retry"."""
    parts = request.app[PARTS]
    token = request.query.get("token")
    if token is not None:  # the widget's, on a business's site
        visitor = await token_visitor(request, token)
    else:
        visitor = cookie_visitor(request, parts.tracking)
    # Why its socket is refused now (too many tabs open, a busy process): said as such,
    # rather than a connection lost.
    refused = parts.web_hub.refusal(visitor) if visitor is not None else None
    answer = {"visitor": visitor is not None, "refused": refused[1] if refused else None}
    return web.json_response(answer, headers={"Cache-Control": "no-store"})


async def favicon(request: web.Request) -> web.Response:
    return web.Response(
        text=webchat.favicon(webchat.accent(request.app[PARTS].settings.branding)),
        content_type="image/svg+xml",
        headers={"Cache-Control": "public, max-age=86400"},
    )


HISTORY = 500
"""Messages a web chat shows again after a reload, the latest: as many as the live view."""


async def chat_socket(request: web.Request) -> web.StreamResponse:
    parts = request.app[PARTS]
    try:
        visitor = await socket_visitor(request)
    except web.HTTPException as refusal:
        return error_response(refusal.status, refusal.reason)
    if refused := parts.web_hub.refusal(visitor):
        status, why = refused
        return error_response(status, why, {"Retry-After": "5"})
    socket = web.WebSocketResponse(max_msg_size=webchat.MAX_FRAME, heartbeat=30)
    await socket.prepare(request)
    number = parts.settings.web_number
    parts.web_hub.add(visitor, socket)
    try:
        cid = conversation_id(number, Identity("vid", visitor))
        # A reply that failed (the visitor had said STOP, say) never reached them: it is
        # not shown after a reload, nor theirs to confirm as delivered. Nor is what an
        # erasure kept of a message (its skeleton): the visitor's chat starts again.
        timeline = [
            m
            for m in await parts.conversations.timeline(cid, HISTORY)
            if not (m.get("direction") == "outbound" and m.get("status") == "failed")
            and not m.get("erased")
        ]
        meta = await parts.conversations.meta(cid)
        ours = (m["id"] for m in timeline if m.get("direction") == "outbound")
        parts.web_hub.offer(socket, ours)
        kept = {webchat.kept_media(message) for message in timeline} - {""}
        urls = {media_id: await parts.media.links.url(media_id) for media_id in kept}
        links = {}
        if parts.settings.links and (profile := meta.get("profile")):
            links = shown_links(await parts.tracking.links.signer(), timeline, profile)
        history = webchat.history_frame(
            visitor, timeline, opted_out=meta.get("opted_out") == "1", media_urls=urls, links=links
        )
        await parts.web_hub.begin(socket, history)  # what was pushed meanwhile comes after it
        async for frame in socket:
            if frame.type == WSMsgType.BINARY:
                await socket.send_json({"type": "error", "error": webchat.TEXT_FRAMES})
            if frame.type != WSMsgType.TEXT:
                continue
            try:
                await _take_frame(request, socket, visitor, frame.data)
            except webchat.FrameError as error:
                said: dict[str, Any] = {"type": "error", "error": str(error)}
                if error.frame_id:
                    said["id"] = error.frame_id
                if error.retry_after is not None:
                    said["retry_after"] = error.retry_after
                await socket.send_json(said)
    except ConnectionResetError:  # the page went away as it was answered: what it sent is kept
        pass
    except Exception as error:
        # The store or a bug, once the socket is open: no HTTP answer can go on it any
        # more. The page is told by the close code (1011), and connects again.
        if isinstance(error, StoreError):  # Redis down, paused or full: said, not traced
            failures = request.config_dict[STORE_FAILURES]
            failures.said("GET", route_of(request), error, "closed a socket (1011)")
        else:
            log.exception("the web chat socket failed")
        await socket.close(code=WSCloseCode.INTERNAL_ERROR, message=b"temporarily unable")
    finally:
        parts.web_hub.remove(visitor, socket)
    return socket


async def _take_frame(
    request: web.Request, socket: web.WebSocketResponse, visitor: str, raw: str
) -> None:
    """A visitor's message (acknowledged: "sent"), the receipt of messages it showed, or
    a ping (answered: the page knows the connection is alive)."""
    parts = request.app[PARTS]
    number = parts.settings.web_number
    frame = webchat.read_frame(raw)
    if frame["type"] == "ping":  # the page makes sure the connection is alive
        await socket.send_str(webchat.PONG)
        return
    if frame["type"] == "delivered":
        offered = parts.web_hub.offered(socket)
        await parts.ingestor.accept(webchat.receipts_of(frame, visitor, number, offered))
        return
    inbound = webchat.message_of(frame, visitor, number)
    if not parts.web_hub.messages.take(visitor):
        too_fast = webchat.FrameError(webchat.TOO_FAST)
        too_fast.frame_id = frame_id(inbound, visitor)
        # When it would be taken: the page sends it again then, so a queue it sends at
        # once on a reconnect (typed at a human pace while offline) is kept, not refused.
        too_fast.retry_after = parts.web_hub.messages.wait(visitor)
        raise too_fast
    # The pace above is the visitor's, and a client may take a new visitor id at will:
    # this bound is the number's, so no one client floods the services.
    most = parts.settings.web_messages_per_hour
    if wait := await parts.media.spend(f"{number}:messages", 1, most, webchat.FILE_WINDOW):
        full = webchat.FrameError(webchat.CHAT_FULL)
        full.frame_id, full.retry_after = frame_id(inbound, visitor), math.ceil(wait)
        raise full
    (new,) = await parts.ingestor.accept([inbound])
    page_id = frame_id(inbound, visitor)
    await socket.send_json({"type": "ack", "id": page_id})
    if new:  # the visitor's other tabs show what this one sent
        echo = {
            "id": page_id,
            "direction": "inbound",
            "text": inbound.text,
            "timestamp": inbound.timestamp,
        }
        await parts.live.publish(visitor, webchat.message_frame(echo))
        keyword = keyword_of(inbound, request.app[KEYWORDS])
        if keyword in ("stop", "start"):  # said, so STOP never mutes anyone silently
            await parts.live.publish(visitor, webchat.consent_frame(keyword == "stop"))


async def chat_file(request: web.Request) -> web.Response:
    """A visitor's image or file (the raw body, with its Content-Type), kept in the media
    store by reference and taken as their message: ``?id=`` the page's message id, and
    ``?filename=``; the visitor is the cookie's or the ``token``'s, as on the socket."""
    parts = request.app[PARTS]
    try:
        visitor = await socket_visitor(request)
    except web.HTTPException as refusal:
        return error_response(refusal.status, refusal.reason)
    client_id = request.query.get("id", "")
    if not webchat.client_id(client_id):
        return error_response(400, "id must be 1-64 letters, digits, - or _")
    if (request.content_length or 0) > webchat.MAX_FILE:
        return error_response(413, f"the file is larger than {webchat.MAX_FILE // MB} MB")
    # The page sends a file again under its id when it saw no answer: kept once, and
    # answered again as kept, not counted again against the pace or the hour's bytes.
    retried_as = f"web:{visitor}:{client_id}"
    record = await parts.media.kept_as(retried_as)
    if record is None:
        kept = await _keep_chat_file(request, visitor, retried_as)
        if isinstance(kept, web.Response):
            return kept
        record = kept
    number = parts.settings.web_number
    kind = kind_of(record.content_type)
    inbound = webchat.file_message(visitor, number, client_id, kind, record.to_dict())
    (new,) = await parts.ingestor.accept([inbound])
    assert inbound.media is not None
    shown = webchat.shown_media(shallow_dict(inbound.media), kind, await parts.media.url(record))
    echo = {
        "id": client_id,
        "direction": "inbound",
        "text": "",
        "kind": kind,
        "timestamp": inbound.timestamp,
        "media": shown,
    }
    if new:  # the visitor's other tabs show it too
        await parts.live.publish(visitor, webchat.message_frame(echo))
    return web.json_response({"message": echo}, status=201)


async def _keep_chat_file(
    request: web.Request, visitor: str, retried_as: str
) -> MediaRecord | web.Response:
    """A visitor's new file, kept under ``retried_as``; the refusal when it is not."""
    parts = request.app[PARTS]
    if not parts.web_hub.files.take(visitor):
        return error_response(429, webchat.TOO_FAST, {"Retry-After": "10"})
    data = await read_at_most(request, webchat.MAX_FILE)
    if len(data) > webchat.MAX_FILE:
        return error_response(413, f"the file is larger than {webchat.MAX_FILE // MB} MB")
    number = parts.settings.web_number
    # The pace above is the visitor's, and a client may take a new visitor id at will:
    # this bound is the number's, so no one client fills Redis with files kept 30 days.
    most = parts.settings.web_file_bytes_per_hour
    wait = await parts.media.spend(number, len(data), most, webchat.FILE_WINDOW)
    if wait:
        return error_response(429, webchat.FILES_FULL, {"Retry-After": str(math.ceil(wait))})
    try:
        return await parts.media.save(
            data,
            request.headers.get("Content-Type", ""),
            request.query.get("filename", ""),
            f"web:{visitor}",
            number=number,
            channel="web",
            ttl=webchat.FILE_TTL,
            retried_as=retried_as,
        )
    except MediaRefusedError as refusal:
        return error_response(refusal.status, str(refusal))


def frame_id(inbound: Inbound, visitor: str) -> str:
    return inbound.provider_id.removeprefix(webchat.message_prefix(visitor))


def _whatsapp_settings(request: web.Request) -> WhatsAppSettings:
    settings = request.app[PARTS].settings.whatsapp
    if settings is None:
        raise web.HTTPNotFound(reason="WhatsApp is not configured on this runtime")
    return settings


async def whatsapp_handshake(request: web.Request) -> web.Response:
    settings = _whatsapp_settings(request)
    if request.query.get("hub.mode") != "subscribe":
        return error_response(403, "hub.mode must be subscribe")
    challenge = whatsapp.handshake(request.query, settings.verify_token)
    if challenge is None:
        return error_response(403, "verify token does not match")
    if not challenge:  # Meta always sends one: an empty 200 verifies nothing
        return error_response(403, "hub.challenge is missing")
    return web.Response(text=challenge)


def _too_long() -> web.Response:
    return error_response(413, f"the body is over {MAX_BODY} bytes")


async def whatsapp_webhook(request: web.Request) -> web.Response:
    """Verify, dedupe, append durably, then 200 (REL-1). Meta retries anything else."""
    settings = _whatsapp_settings(request)
    if (request.content_length or 0) > MAX_BODY:
        return _too_long()
    raw = await read_at_most(request, MAX_BODY)
    if len(raw) > MAX_BODY:
        return _too_long()
    if not whatsapp.verify_signature(
        settings.app_secret, raw, request.headers.get("X-Hub-Signature-256")
    ):
        return error_response(401, "X-Hub-Signature-256 is missing or does not match the body")
    try:
        payload = jsonbody.loads(raw)
    except jsonbody.NotJSONError as error:
        return error_response(400, str(error))
    try:
        items, unread = whatsapp.parse_webhook(payload, settings.phone_number_id)
    except whatsapp.PayloadError as error:
        return error_response(400, str(error))
    templates, unread_templates = whatsapp.template_updates(payload)
    preferences, unread_preferences = whatsapp.marketing_preferences(
        payload, settings.phone_number_id
    )
    unread += unread_templates + unread_preferences
    for reported in whatsapp.reported_errors(payload, settings.phone_number_id):
        log.warning("WhatsApp reported an error on the number's webhook: %s", reported)
    if unread and not (items or templates or preferences):
        return error_response(400, unread[0])
    parts = request.app[PARTS]
    new = await parts.ingestor.accept(items)
    if preferences:  # kept before the 200: Meta does not say it twice
        await parts.conversations.set_marketing(
            [(conversation_id(p.number, p.customer), p.stopped, p.at) for p in preferences]
        )
    if templates:
        await parts.publish_to_parent([template_event(settings, update) for update in templates])
    received = len(items) + len(templates) + len(preferences)
    answer: dict[str, Any] = {"received": received, "new": sum(new)}
    if unread:  # the rest is taken: sent again, the body would be refused for ever
        log.info("a WhatsApp webhook held %d item(s) it cannot read: %s", len(unread), unread)
        answer["unread"] = unread
    return web.json_response(answer)


def template_event(settings: WhatsAppSettings, update: whatsapp.TemplateStatus) -> Event:
    """``template.status`` for the number's parent; Meta's retries carry the same id."""
    parts = (update.account, update.template_id, update.event, str(update.at), update.reason)
    return Event.new(
        "template.status", settings.number, update.to_dict(), id=derived_id("evt", *parts)
    )


async def openapi(request: web.Request) -> web.Response:
    """The OpenAPI document of /v1; readable without a token, like any API reference."""
    document = resources.files("bot.api").joinpath("openapi.json").read_text(encoding="utf-8")
    return web.Response(text=document, content_type="application/json")


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"ok": True})


READY_SECONDS = 2.0
"""How long /readyz waits for Redis's answer before it says not ready."""


async def readyz(request: web.Request) -> web.Response:
    parts = request.app[PARTS]
    try:
        # A Redis that stalled answers nothing; on a cluster, the ping reaches one node,
        # and the numbers' services may be on a stalled one.
        async with asyncio.timeout(READY_SECONDS):
            await parts.writable()  # a Redis out of memory answers a PING, and no write
            numbers = {
                number: "active" if await parts.services.order(number) else "idle"
                for number in parts.configured
            }
    except StoreRefusesWrites as error:  # each webhook would get 503 as well
        return error_response(503, f"redis refuses writes: {str(error)[:200]}")
    except Exception as error:  # any failure to reach Redis means "not ready"
        return error_response(503, f"redis unreachable: {type(error).__name__}")
    return web.json_response({"ok": True, "store": parts.store_kind, "numbers": numbers})


async def metrics(request: web.Request) -> web.Response:
    body = await request.app[PARTS].metrics()
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


def observe_webhook(
    meters: Meters, request: web.Request, route: str, status: int, seconds: float
) -> None:
    """A channel's webhook answered: its time, by channel and status."""
    if request.method == "POST" and route.startswith(WEBHOOKS):
        channel = route.removeprefix(WEBHOOKS)
        meters.webhook_seconds.labels(channel, str(status)).observe(seconds)
