"""The service API under ``/v1``: every call is made by one service, with its Bearer token."""

from __future__ import annotations

import hmac
import json
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.config.settings import RESERVED_NAMES, SERVICE_NAME
from bot.core.directory import ParentOnlyError
from bot.core.fanout import hides, masked
from bot.core.sender import SendFailedError, WindowClosedError
from bot.model import Event, Service
from handlers.commands import has_control_characters
from stores.claims import Claim
from stores.notes import NoteStore

if TYPE_CHECKING:
    from bot.runtime import Runtime

MAX_BODY = 64 * 1024
MAX_TEXT = 4096
RUNTIME: web.AppKey[Runtime] = web.AppKey("runtime")
NOTES: web.AppKey[NoteStore] = web.AppKey("notes", NoteStore)
CALLER: web.RequestKey[Service] = web.RequestKey("service", Service)
ADMIN = Service("admin", "", "")
"""The operator, calling with SWITCHBOARD_ADMIN_TOKEN: may attach and detach services."""


def build_api(runtime: Runtime) -> web.Application:
    api = web.Application(middlewares=[_authenticate])
    api[RUNTIME] = runtime
    api[NOTES] = NoteStore(runtime.redis, runtime.keys)
    api.router.add_get("/numbers", list_numbers)
    api.router.add_get("/conversations", list_conversations)
    api.router.add_get("/conversations/{id}", get_conversation)
    api.router.add_post("/conversations/{id}/messages", reply)
    api.router.add_post("/conversations/{id}/claim", claim)
    api.router.add_post("/conversations/{id}/release", release)
    api.router.add_post("/conversations/{id}/notes", add_note)
    api.router.add_get("/conversations/{id}/notes", list_notes)
    api.router.add_post("/services", attach_service)
    api.router.add_delete("/services/{name}", detach_service)
    # Imported here: they build on this module's helpers.
    from bot.api.notifications import add_notification_routes
    from bot.api.profiles import add_profile_routes

    add_profile_routes(api)
    add_notification_routes(api)
    return api


def _error(status: int, message: str, **extra: Any) -> web.Response:
    return web.json_response({"error": message, **extra}, status=status)


class ApiError(Exception):
    """A refusal with its status; the message may quote the caller's input, safely."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@web.middleware
async def _authenticate(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Who is calling: a service by its token, or the operator by the admin token."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip() if scheme.lower() == "bearer" else ""  # schemes ignore case
    if not token:
        return _error(401, "missing Authorization: Bearer <token>")
    runtime = request.app[RUNTIME]
    admin = runtime.settings.admin_token
    if admin and hmac.compare_digest(token.encode(), admin.encode()):
        request[CALLER] = ADMIN
    else:
        service = await runtime.services.by_token(token)
        if service is None:
            return _error(401, "unknown token")
        request[CALLER] = service
    try:
        return await handler(request)
    except ApiError as error:
        return _error(error.status, error.message)


def _caller(request: web.Request) -> Service:
    return request[CALLER]


def _acting(request: web.Request) -> Service:
    """The service acting on a conversation; the admin token only reads and attaches."""
    caller = request[CALLER]
    if caller is ADMIN:
        raise ApiError(403, "the admin token cannot act in conversations: use a service's token")
    return caller


async def _body(request: web.Request) -> dict[str, Any]:
    declared = request.content_length or 0
    if declared > MAX_BODY:
        raise ApiError(413, f"body larger than {MAX_BODY} bytes")
    raw = await request.read()
    if len(raw) > MAX_BODY:
        raise ApiError(413, f"body larger than {MAX_BODY} bytes")
    try:
        body = json.loads(raw or b"{}")
    except (ValueError, RecursionError):
        raise ApiError(400, "body is not JSON") from None
    if not isinstance(body, dict):
        raise ApiError(400, "body must be a JSON object")
    return body


def _text(body: dict[str, Any], name: str, *, required: bool = True, limit: int = MAX_TEXT) -> str:
    value = body.get(name) or ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise ApiError(400, f"'{name}' must be a non-empty string")
    if len(value) > limit:
        raise ApiError(400, f"'{name}' is longer than {limit} characters")
    return value.strip()


async def _numbers_of(request: web.Request) -> list[str]:
    runtime, caller = request.app[RUNTIME], _caller(request)
    numbers = []
    for number in sorted(set(runtime.numbers) | set(await runtime.services.numbers())):
        if caller is ADMIN or caller.name in await runtime.services.order(number):
            numbers.append(number)
    return numbers


async def _conversation(
    request: web.Request, conversation_id: str = ""
) -> tuple[str, dict[str, str]]:
    """The conversation of the path, if the caller's service is attached to its number."""
    runtime, caller = request.app[RUNTIME], _caller(request)
    conversation_id = conversation_id or request.match_info["id"]
    meta = await runtime.conversations.meta(conversation_id)
    attached = meta and (
        caller is ADMIN or caller.name in await runtime.services.order(meta["number"])
    )
    if not attached:  # another number's conversation is as unknown as a made-up id
        raise ApiError(404, f"no conversation {conversation_id}")
    return conversation_id, meta


def _warning(holder: Claim | None, caller: Service, agent: str) -> dict[str, Any]:
    if holder is None or (holder.service, holder.agent) == (caller.name, agent):
        return {}
    when = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(holder.since))
    return {
        "warning": {
            "message": f"{holder.agent} of {holder.service} has held this conversation "
            f"since {when}",
            "holder": holder.to_dict(),
        }
    }


async def list_numbers(request: web.Request) -> web.Response:
    runtime = request.app[RUNTIME]
    numbers = []
    for number in await _numbers_of(request):
        order = await runtime.services.order(number)
        numbers.append({"number": number, "services": order, "parent": order[0] if order else None})
    return web.json_response({"numbers": numbers})


async def list_conversations(request: web.Request) -> web.Response:
    runtime = request.app[RUNTIME]
    items = []
    for number in await _numbers_of(request):
        for conversation_id in await runtime.conversations.list_for_number(number):
            meta = await runtime.conversations.meta(conversation_id)
            items.append({"id": conversation_id, **_public(meta)})
    return web.json_response({"conversations": items})


def _public(meta: dict[str, str]) -> dict[str, Any]:
    public: dict[str, Any] = {
        key: meta[key] for key in ("number", "channel", "customer", "profile") if key in meta
    }
    for key in ("created_at", "last_at"):
        if key in meta:
            public[key] = float(meta[key])
    return public | {"opted_out": meta.get("opted_out") == "1"}


async def get_conversation(request: web.Request) -> web.Response:
    """The timeline, masked for the caller the same way its webhooks are (SN-4)."""
    runtime, caller = request.app[RUNTIME], _caller(request)
    conversation_id, meta = await _conversation(request)
    timeline = await runtime.conversations.timeline(conversation_id, limit=500)
    messages = [
        masked(m)
        if m["direction"] == "outbound" and hides(caller, m) and not m.get("erased")
        else m
        for m in timeline
    ]
    holder = await runtime.claims.holder(conversation_id)
    return web.json_response(
        {
            "conversation": {
                "id": conversation_id,
                **_public(meta),
                "claim": holder.to_dict() if holder else None,
            },
            "messages": messages,
        }
    )


async def reply(request: web.Request) -> web.Response:
    """An agent's reply: sent once from the number; a held claim comes back as a warning."""
    runtime, caller = request.app[RUNTIME], _acting(request)
    conversation_id, meta = await _conversation(request)
    body = await _body(request)
    text, agent = _text(body, "text"), _text(body, "agent", required=False, limit=200)
    if meta.get("opted_out") == "1":
        return _error(409, "the customer opted out (STOP): nothing can be sent to them")
    if meta.get("customer") == "erased":
        return _error(410, "the customer was erased: nothing can be sent to them")
    try:
        outbound = await runtime.reply(conversation_id, text, service=caller.name, agent=agent)
    except WindowClosedError as error:
        return _error(422, str(error))
    except SendFailedError as error:
        return _error(503, str(error))
    holder = await runtime.claims.holder(conversation_id)
    if holder and (holder.service, holder.agent) == (caller.name, agent):
        await runtime.claims.touch(conversation_id, runtime.settings.claim_idle)
    message = {
        "id": outbound.send_id,
        "text": outbound.text,
        "service": caller.name,
        "agent": agent,
        "timestamp": outbound.created_at,
    }
    return web.json_response({"message": message, **_warning(holder, caller, agent)}, status=201)


async def claim(request: web.Request) -> web.Response:
    runtime, caller = request.app[RUNTIME], _acting(request)
    conversation_id, meta = await _conversation(request)
    agent = _text(await _body(request), "agent", limit=200)
    before, held = await runtime.claims.claim(
        conversation_id, caller.name, agent, runtime.settings.claim_idle
    )
    data = {
        "conversation_id": conversation_id,
        **held.to_dict(),
        "previous": before.to_dict() if before else None,
    }
    await runtime.publish([Event.new("conversation.claimed", meta["number"], data)])
    return web.json_response({"claim": held.to_dict(), **_warning(before, caller, agent)})


async def release(request: web.Request) -> web.Response:
    runtime, caller = request.app[RUNTIME], _acting(request)
    conversation_id, meta = await _conversation(request)
    agent = _text(await _body(request), "agent", limit=200)
    released, holder = await runtime.claims.release(conversation_id, caller.name, agent)
    if not released:
        if holder is None:
            return _error(409, "nobody holds this conversation")
        return _error(
            409,
            f"{holder.agent} of {holder.service} holds this conversation",
            holder=holder.to_dict(),
        )
    data = {
        "conversation_id": conversation_id,
        "service": caller.name,
        "agent": agent,
        "reason": "released",
    }
    await runtime.publish([Event.new("conversation.released", meta["number"], data)])
    return web.json_response({"released": True})


async def add_note(request: web.Request) -> web.Response:
    """A note for the people working the conversation; never sent to the customer, and
    readable by every service attached to the number."""
    caller = _acting(request)
    conversation_id, _ = await _conversation(request)
    body = await _body(request)
    text, author = _text(body, "text"), _text(body, "author", required=False, limit=200)
    if has_control_characters(text + author):
        raise ApiError(400, "notes may not contain control characters (newlines and tabs may)")
    note = await request.app[NOTES].append(
        conversation_id, author=author, service=caller.name, text=text
    )
    return web.json_response({"note": note}, status=201)


async def list_notes(request: web.Request) -> web.Response:
    conversation_id, _ = await _conversation(request)
    return web.json_response({"notes": await request.app[NOTES].read(conversation_id)})


async def _require_parent(request: web.Request, number: str) -> None:
    runtime, caller = request.app[RUNTIME], _caller(request)
    try:
        await runtime.directory.require_parent(number, caller.name)
    except ParentOnlyError as error:
        raise ApiError(403, str(error)) from None


def _admin_only(request: web.Request) -> None:
    if _caller(request) is not ADMIN:
        raise ApiError(403, "attaching services takes the admin token")


async def attach_service(request: web.Request) -> web.Response:
    """Define and attach a service; its API token is in this answer and never again."""
    _admin_only(request)
    runtime = request.app[RUNTIME]
    body = await _body(request)
    name = _text(body, "name", limit=32)
    if name in RESERVED_NAMES or not SERVICE_NAME.fullmatch(name):
        raise ApiError(400, "name: up to 32 lowercase letters, digits, - and _")
    url, secret = _text(body, "url", limit=2000), _text(body, "secret", limit=200)
    numbers = body.get("numbers", runtime.numbers)
    if (
        not isinstance(numbers, list)
        or not numbers
        or not all(n in runtime.numbers for n in numbers)
    ):
        raise ApiError(400, f"numbers must be some of {runtime.numbers}")
    known = await runtime.services.get(name)
    service = Service(
        name,
        url,
        secret,
        mask=bool(body.get("mask", True)),
        automation=known.automation if known else None,
    )
    token = await runtime.directory.define(service, with_token=known is None)
    for number in numbers:
        await runtime.publish(await runtime.directory.attach(number, name))
    answer: dict[str, Any] = {"service": name, "numbers": numbers}
    if token:
        answer["token"] = token
    return web.json_response(answer, status=201)


async def detach_service(request: web.Request) -> web.Response:
    """Detach a service: by the operator, or by the service itself."""
    runtime, caller = request.app[RUNTIME], _caller(request)
    name = request.match_info["name"]
    if caller is not ADMIN and caller.name != name:
        raise ApiError(403, "a service may detach only itself")
    numbers = request.query.getall("number", []) or await _numbers_of(request)
    detached = []
    for number in numbers:
        try:
            await runtime.publish(await runtime.directory.detach(number, name))
        except LookupError:
            continue
        detached.append(number)
    if not detached:
        raise ApiError(404, f"{name} is not attached to those numbers")
    return web.json_response({"service": name, "detached": detached})
