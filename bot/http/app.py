"""The one aiohttp application: routes only; each route delegates to the runtime's parts."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from importlib import resources
from typing import TYPE_CHECKING

from aiohttp import WSMsgType, web

from adapters import webchat, whatsapp
from bot.api.routes import build_api
from bot.config.settings import WhatsAppSettings
from bot.http.tracking import add_tracking_routes
from bot.http.webhooks import add_channel_routes
from bot.model import Identity, Inbound, conversation_id

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger(__name__)

MAX_BODY = 3 * 1024 * 1024
"""Meta's webhooks stay far below this; a bigger body is refused with 413 before it is read."""

RUNTIME: web.AppKey[Runtime] = web.AppKey("runtime")


def build_app(runtime: Runtime) -> web.Application:
    app = web.Application(client_max_size=MAX_BODY, middlewares=[_json_errors])
    app[RUNTIME] = runtime
    app.router.add_get("/", chat_page)
    app.router.add_get("/webchat/socket", chat_socket)
    app.router.add_get("/webhooks/whatsapp", whatsapp_handshake)
    app.router.add_post("/webhooks/whatsapp", whatsapp_webhook)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
    add_tracking_routes(app, runtime)
    add_channel_routes(app, runtime)
    app.router.add_get("/v1/openapi.json", openapi)
    app.add_subapp("/v1", build_api(runtime))
    return app


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


@web.middleware
async def _json_errors(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Every refusal is a JSON body with a clear ``error``; nothing escapes as a crash."""
    try:
        return await handler(request)
    except web.HTTPRequestEntityTooLarge as error:
        return _error(413, error.text or "body too large")
    except web.HTTPException as error:
        if error.status < 400:
            raise
        return _error(error.status, error.reason)
    except Exception:
        # The store or a bug: the caller may retry (Meta does), and the process goes on.
        log.exception("%s %s failed", request.method, request.path)
        return _error(503, "temporarily unable to take this request; retry later")


async def chat_page(request: web.Request) -> web.Response:
    response = web.Response(text=webchat.page(), content_type="text/html")
    if not webchat.visitor_id(request.cookies.get(webchat.VISITOR_COOKIE)):
        response.set_cookie(
            webchat.VISITOR_COOKIE,
            webchat.new_visitor_id(),
            max_age=365 * 24 * 3600,
            httponly=True,
            samesite="Lax",
        )
    return response


async def chat_socket(request: web.Request) -> web.StreamResponse:
    runtime = request.app[RUNTIME]
    visitor = webchat.visitor_id(request.cookies.get(webchat.VISITOR_COOKIE))
    if visitor is None:
        return _error(400, "open the chat page first: it issues the visitor cookie")
    socket = web.WebSocketResponse(max_msg_size=webchat.MAX_FRAME, heartbeat=30)
    await socket.prepare(request)
    number = runtime.settings.web_number
    runtime.web_hub.add(visitor, socket)
    try:
        timeline = await runtime.conversations.timeline(
            conversation_id(number, Identity("vid", visitor))
        )
        await socket.send_str(webchat.history_frame(visitor, timeline))
        async for frame in socket:
            if frame.type != WSMsgType.TEXT:
                continue
            try:
                inbound = webchat.parse_frame(frame.data, visitor, number)
            except webchat.FrameError as error:
                await socket.send_json({"type": "error", "error": str(error)})
                continue
            (new,) = await runtime.ingestor.accept([inbound])
            page_id = frame_id(inbound, visitor)
            await socket.send_json({"type": "ack", "id": page_id})
            if new:  # the visitor's other tabs show what this one sent
                echo = {
                    "id": page_id,
                    "direction": "inbound",
                    "text": inbound.text,
                    "timestamp": inbound.timestamp,
                }
                await runtime.live.publish(visitor, webchat.message_frame(echo))
    finally:
        runtime.web_hub.remove(visitor, socket)
    return socket


def frame_id(inbound: Inbound, visitor: str) -> str:
    return inbound.provider_id.removeprefix(f"web:{visitor}:")


def _whatsapp_settings(request: web.Request) -> WhatsAppSettings:
    settings = request.app[RUNTIME].settings.whatsapp
    if settings is None:
        raise web.HTTPNotFound(reason="WhatsApp is not configured on this runtime")
    return settings


async def whatsapp_handshake(request: web.Request) -> web.Response:
    settings = _whatsapp_settings(request)
    challenge = whatsapp.handshake(request.query, settings.verify_token)
    if challenge is None:
        return _error(403, "verify token does not match")
    return web.Response(text=challenge)


async def whatsapp_webhook(request: web.Request) -> web.Response:
    """Verify, dedupe, append durably, then 200 (REL-1). Meta retries anything else."""
    settings = _whatsapp_settings(request)
    raw = await request.read()
    if not whatsapp.verify_signature(
        settings.app_secret, raw, request.headers.get("X-Hub-Signature-256")
    ):
        return _error(401, "X-Hub-Signature-256 is missing or does not match the body")
    try:
        payload = json.loads(raw)
    except (ValueError, RecursionError):
        return _error(400, "body is not JSON")
    try:
        items = whatsapp.parse_webhook(payload, settings.phone_number_id)
    except whatsapp.PayloadError as error:
        return _error(400, str(error))
    new = await request.app[RUNTIME].ingestor.accept(items)
    return web.json_response({"received": len(items), "new": sum(new)})


async def openapi(request: web.Request) -> web.Response:
    """The OpenAPI document of /v1; readable without a token, like any API reference."""
    document = resources.files("bot.api").joinpath("openapi.json").read_text(encoding="utf-8")
    return web.Response(text=document, content_type="application/json")


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"ok": True})


async def readyz(request: web.Request) -> web.Response:
    runtime = request.app[RUNTIME]
    try:
        await runtime.store.ping()
    except Exception as error:  # any failure to reach Redis means "not ready"
        return _error(503, f"redis unreachable: {type(error).__name__}")
    numbers = {
        number: "active" if await runtime.services.order(number) else "idle"
        for number in runtime.numbers
    }
    return web.json_response({"ok": True, "store": runtime.store_kind, "numbers": numbers})


async def metrics(request: web.Request) -> web.Response:
    runtime = request.app[RUNTIME]
    # Each process counts for itself; the label keeps the workers of one port apart.
    label = f'{{worker="{runtime.holder}"}}'
    lines = [f"switchboard_{name}{label} {value}" for name, value in runtime.counters().items()]
    return web.Response(text="\n".join(lines) + "\n", content_type="text/plain")
