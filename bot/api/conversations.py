"""``/v1/conversations``: list, read the timeline masked for the caller (SN-4), reply,
claim and release (SN-5), and the team's notes."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from adapters.webchat import shows_something
from bot.api.common import (
    ApiError,
    acting,
    caller,
    closed,
    conversation,
    numbers_of,
    only_fields,
    parts,
    read_body,
    string_field,
)
from bot.api.content import reply_content
from bot.api.idempotency import keyed_id
from bot.api.media import with_upload
from bot.core.redaction import hides, masked
from bot.core.sender import SendFailedError, WindowClosedError
from bot.model import DIRECTION_CONTROLS, TEXT_CONTROLS, Claim, Outbound, Service
from bot.team.actions import (
    ConversationClosedError,
    NotHeldError,
    collision_message,
    ensure_open,
)


def add_conversation_routes(api: web.Application) -> None:
    api.router.add_get("/conversations", list_conversations)
    api.router.add_get("/conversations/{id}", get_conversation)
    api.router.add_post("/conversations/{id}/messages", reply)
    api.router.add_post("/conversations/{id}/claim", claim)
    api.router.add_post("/conversations/{id}/release", release)
    api.router.add_post("/conversations/{id}/typing", typing)
    api.router.add_post("/conversations/{id}/notes", add_note)
    api.router.add_get("/conversations/{id}/notes", list_notes)


def warning(holder: Claim | None) -> dict[str, Any]:
    """The collision warning of an answer, when someone else holds the conversation."""
    if holder is None:
        return {}
    return {"warning": {"message": collision_message(holder), "holder": holder.to_dict()}}


def public(meta: dict[str, str]) -> dict[str, Any]:
    """What a service may read of a conversation's record."""
    found: dict[str, Any] = {
        key: meta[key] for key in ("number", "channel", "customer", "profile") if key in meta
    }
    for key in ("created_at", "last_at"):
        if key in meta:
            found[key] = float(meta[key])
    return found | {
        "opted_out": meta.get("opted_out") == "1",
        "marketing_stopped": meta.get("marketing_off") == "1",
        "blocked": meta.get("blocked") == "1",
    }


async def list_conversations(request: web.Request) -> web.Response:
    conversations = parts(request).conversations
    items = []
    for number in await numbers_of(request):
        for conversation_id in await conversations.list_for_number(number):
            meta = await conversations.meta(conversation_id)
            items.append({"id": conversation_id, **public(meta)})
    return web.json_response({"conversations": items})


def _masked_for(who: Service, message: dict[str, Any]) -> dict[str, Any]:
    if message["direction"] == "outbound" and hides(who, message) and not message.get("erased"):
        return masked(message)
    return message


async def get_conversation(request: web.Request) -> web.Response:
    """The timeline, masked for the caller the same way its webhooks are (SN-4)."""
    found, who = parts(request), caller(request)
    conversation_id, meta = await conversation(request)
    timeline = await found.conversations.timeline(conversation_id, limit=500)
    holder = await found.claims.holder(conversation_id)
    record = {
        "id": conversation_id,
        **public(meta),
        "claim": holder.to_dict() if holder else None,
    }
    messages = [_masked_for(who, message) for message in timeline]
    return web.json_response({"conversation": record, "messages": messages})


async def reply(request: web.Request) -> web.Response:
    """An agent's reply: sent once from the number; a held claim comes back as a warning.
    Text, text with choices, a file (by URL or uploaded here), or a WhatsApp template
    (which goes outside the window too)."""
    who = acting(request)
    conversation_id, meta = await conversation(request)
    found = await read_body(request)
    content = reply_content(found, meta.get("channel", ""))
    media = await with_upload(request, content.media, meta.get("channel", ""))
    agent = agent_field(found, required=False)
    try:
        replied = await parts(request).actions.reply(
            conversation_id,
            meta,
            content.text,
            service=who.name,
            agent=agent,
            template=content.template,
            buttons=content.choices,
            media=media,
            send_id=keyed_id(request, "snd"),
        )
    except ConversationClosedError as refusal:
        raise closed(refusal) from None
    except WindowClosedError as refusal:
        raise ApiError(422, str(refusal)) from None
    except SendFailedError as refusal:
        raise ApiError(503, str(refusal)) from None
    message = sent_message(replied.outbound, who.name, agent)
    return web.json_response({"message": message, **warning(replied.collision)}, status=201)


def sent_message(outbound: Outbound, service: str, agent: str) -> dict[str, Any]:
    """A message queued to go out, as the answer to the call that sent it shows it."""
    return {
        "id": outbound.send_id,
        "text": outbound.text,
        **({"template": outbound.template} if outbound.template else {}),
        **({"buttons": list(outbound.buttons)} if outbound.buttons else {}),
        **({"media": outbound.media} if outbound.media else {}),
        "service": service,
        "agent": agent,
        "timestamp": outbound.created_at,
    }


LINE_SEPARATORS = "\u2028\u2029"
"""Unicode's line and paragraph separators: a chat shows them as new lines."""


def agent_field(found: dict[str, Any], *, required: bool = True) -> str:
    """The agent a call names: one line, as the team's inbox and every event show it."""
    return one_line_field(found, "agent", required=required)


def one_line_field(found: dict[str, Any], name: str, *, required: bool = True) -> str:
    """A person's name a call gives (an agent, a note's author): one line, as the team's
    inbox, its notes and every event show it."""
    value = string_field(found, name, required=required, limit=200)
    if any(c in value for c in TEXT_CONTROLS + LINE_SEPARATORS):
        raise ApiError(400, f"'{name}' is one line: no newlines, carriage returns or tabs")
    if any(c in value for c in DIRECTION_CONTROLS):
        # Each service reads the name in its warnings: an override turns the rest around.
        raise ApiError(400, f"'{name}' holds a direction control (U+202A-202E, U+2066-2069)")
    if value and not shows_something(value):
        raise ApiError(400, f"'{name}' shows nothing: only spaces or invisible characters")
    return value


async def claim(request: web.Request) -> web.Response:
    who = acting(request)
    conversation_id, meta = await conversation(request)
    found = await read_body(request)
    only_fields(found, ("agent",), "a claim takes the agent")
    agent = agent_field(found)
    try:
        claimed = await parts(request).actions.claim(
            conversation_id, meta, service=who.name, agent=agent
        )
    except ConversationClosedError as refusal:
        raise closed(refusal) from None
    return web.json_response({"claim": claimed.claim.to_dict(), **warning(claimed.collision)})


async def release(request: web.Request) -> web.Response:
    who = acting(request)
    conversation_id, meta = await conversation(request)
    found = await read_body(request)
    only_fields(found, ("agent",), "a release takes the agent")
    agent = agent_field(found)
    try:
        await parts(request).actions.release(conversation_id, meta, service=who.name, agent=agent)
    except NotHeldError as refusal:
        if refusal.holder is None:
            raise ApiError(409, str(refusal)) from None
        raise ApiError(409, str(refusal), holder=refusal.holder.to_dict()) from None
    return web.json_response({"released": True})


async def typing(request: web.Request) -> web.Response:
    """Someone of the caller's service is typing (or stopped): the customer sees it where
    the channel shows it. It lapses after a few seconds, so a caller repeats it."""
    acting(request)
    conversation_id, meta = await conversation(request)
    found = await read_body(request)
    active = found.get("typing", True)
    if not isinstance(active, bool):
        raise ApiError(400, "'typing' must be true or false")
    agent_field(found, required=False)
    unknown = sorted(set(found) - {"typing", "agent"})
    if unknown:
        raise ApiError(400, f"unknown field {unknown[0][:64]!r}; the body has typing and agent")
    try:
        ensure_open(meta)
    except ConversationClosedError as refusal:
        raise closed(refusal) from None
    shown = await parts(request).typing.signal(conversation_id, meta, active)
    return web.json_response({"typing": active, "shown": shown})


async def add_note(request: web.Request) -> web.Response:
    """A note for the people working the conversation; never sent to the customer, and
    readable by every service attached to the number."""
    who = acting(request)
    conversation_id, meta = await conversation(request)
    if meta.get("customer") == "erased":  # the same phone writing again is a new customer
        raise ApiError(410, "the customer was erased: nothing is kept for them")
    found = await read_body(request)
    only_fields(found, ("text", "author"), "a note takes its text and its author")
    note_text, author = (  # control characters but \n, \r and \t are 400, as in replies
        string_field(found, "text"),
        one_line_field(found, "author", required=False),
    )
    note = await parts(request).notes.append(
        conversation_id, author=author, service=who.name, text=note_text
    )
    return web.json_response({"note": note}, status=201)


async def list_notes(request: web.Request) -> web.Response:
    conversation_id, _ = await conversation(request)
    return web.json_response({"notes": await parts(request).notes.read(conversation_id)})
