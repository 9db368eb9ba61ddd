"""The web chat: its page, the visitor cookie, the socket's frames and live delivery to sockets."""

from __future__ import annotations

import contextlib
import json
import logging
import re
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from importlib import resources
from typing import Any

from aiohttp import web

from adapters import jsonbody
from bot.model import Identity, Inbound, Outbound

log = logging.getLogger(__name__)

VISITOR_COOKIE = "sb_vid"
MAX_TEXT = 4096
MAX_FRAME = 64 * 1024
_VISITOR_ID = re.compile(r"[A-Za-z0-9_-]{16,64}")
_CLIENT_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_CHOICE = re.compile(r"b:[0-9]{1,2}")
"""A pressed button's payload, as on Telegram and WhatsApp: ``b:<index>``."""


FAVICON = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">'
    '<path fill="#2563eb" d="M6 4h20a4 4 0 0 1 4 4v12a4 4 0 0 1-4 4H13l-7 5v-5a4 4 0 0 1-4-4V8'
    'a4 4 0 0 1 4-4z"/>'
    '<circle fill="#fff" cx="10" cy="14" r="2"/><circle fill="#fff" cx="16" cy="14" r="2"/>'
    '<circle fill="#fff" cx="22" cy="14" r="2"/></svg>'
)
"""The page's icon: a speech bubble in its accent colour, served at /favicon.ico."""


class FrameError(ValueError):
    """A socket frame the web chat cannot take; the message is shown to the visitor."""


def page() -> str:
    return resources.files("adapters").joinpath("webchat.html").read_text(encoding="utf-8")


def visitor_id(cookie: str | None) -> str | None:
    """The visitor id in a cookie, if it is one we could have issued."""
    return cookie if cookie and _VISITOR_ID.fullmatch(cookie) else None


def new_visitor_id() -> str:
    return secrets.token_urlsafe(18)


def parse_frame(raw: str, visitor: str, number: str) -> Inbound:
    """A visitor's ``{"type": "message", "id": ..., "text": ...}`` frame as an Inbound;
    a pressed button adds ``"payload": "b:<index>"`` with its label as the text."""
    try:
        frame = jsonbody.loads(raw)
    except jsonbody.NotJSONError:
        raise FrameError("frames must be JSON") from None
    if not isinstance(frame, dict) or frame.get("type") != "message":
        raise FrameError('expected {"type": "message", "id": ..., "text": ...}')
    client_id, text = frame.get("id"), frame.get("text")
    if not isinstance(client_id, str) or not _CLIENT_ID.fullmatch(client_id):
        raise FrameError("id must be 1-64 letters, digits, - or _")
    if not isinstance(text, str) or not text.strip():
        raise FrameError("text must be a non-empty string")
    if len(text) > MAX_TEXT:
        raise FrameError(f"text is longer than {MAX_TEXT} characters")
    payload = frame.get("payload")
    if payload in (None, ""):
        payload = ""
    elif not isinstance(payload, str) or not _CHOICE.fullmatch(payload):
        raise FrameError('a button\'s payload is "b:<index>"')
    sender = Identity("vid", visitor)
    return Inbound(
        channel="web",
        number=number,
        provider_id=f"web:{visitor}:{client_id}",
        sender=sender,
        kind="button" if payload else "text",
        timestamp=time.time(),
        text=text.strip(),
        payload=payload,
        identities=(sender,),
    )


class WebChatHub:
    """The sockets open in this process, by visitor; a visitor may have several tabs."""

    def __init__(self) -> None:
        self._sockets: dict[str, set[web.WebSocketResponse]] = {}

    def add(self, visitor: str, socket: web.WebSocketResponse) -> None:
        self._sockets.setdefault(visitor, set()).add(socket)

    def remove(self, visitor: str, socket: web.WebSocketResponse) -> None:
        sockets = self._sockets.get(visitor)
        if sockets:
            sockets.discard(socket)
            if not sockets:
                del self._sockets[visitor]

    async def push(self, visitor: str, frame: str) -> None:
        for socket in list(self._sockets.get(visitor, ())):
            try:
                await socket.send_str(frame)
            except ConnectionError:
                self.remove(visitor, socket)

    async def close_all(self) -> None:
        for sockets in list(self._sockets.values()):
            for socket in list(sockets):
                await socket.close()
        self._sockets.clear()


def history_frame(visitor: str, messages: list[dict[str, Any]], *, opted_out: bool = False) -> str:
    """The timeline as the page shows it; inbound ids are the page's own, so none shows twice.
    ``opted_out`` says the visitor said STOP and has not said START since."""
    prefix = f"web:{visitor}:"
    shown = [
        {
            "id": message["id"].removeprefix(prefix),
            "direction": message["direction"],
            "text": message.get("text", ""),
            "kind": message.get("kind", "text"),
            "timestamp": message.get("timestamp"),
            "buttons": message.get("buttons") or [],
            **shown_media(message.get("media")),
        }
        for message in messages
    ]
    frame = {"type": "history", "messages": shown, "opted_out": opted_out}
    return json.dumps(frame, ensure_ascii=False)


def shown_media(media: dict[str, str] | None) -> dict[str, Any]:
    """A file as the page shows it: its kind, where to fetch it (its own URL, or the
    signed one of a file uploaded here), its caption and name; nothing without a URL."""
    where = (media or {}).get("link") or (media or {}).get("url")
    if not media or not where:
        return {}
    shown = {"kind": media.get("kind", "document"), "url": where}
    shown |= {key: media[key] for key in ("caption", "filename") if key in media}
    return {"media": shown}


def consent_frame(opted_out: bool) -> str:
    """Tells the page the visitor's STOP (or START) is taken, so it can say so."""
    return json.dumps({"type": "consent", "opted_out": opted_out})


def message_frame(message: dict[str, Any]) -> str:
    return json.dumps({"type": "message", "message": message}, ensure_ascii=False)


class WebChatTransport:
    """Delivers replies to a visitor's sockets in whichever process holds them."""

    def __init__(self, publish: Callable[[str, str], Awaitable[None]]) -> None:
        self.publish = publish

    @contextlib.asynccontextmanager
    async def turn(self, outbound: Outbound) -> AsyncIterator[None]:
        """A socket has no sending limit."""
        yield

    async def deliver(self, outbound: Outbound) -> str:
        message = {
            "id": outbound.send_id,
            "direction": "outbound",
            "text": outbound.text,
            "timestamp": outbound.created_at,
            "service": outbound.service,
            "buttons": list(outbound.buttons),
            **shown_media(outbound.media),
        }
        await self.publish(outbound.recipient.value, message_frame(message))
        return outbound.send_id
