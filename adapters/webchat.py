"""The web chat: its page, the visitor cookie, the socket's frames and live delivery to sockets."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import html
import json
import logging
import math
import re
import resource
import time
import unicodedata
import urllib.parse
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, cast

from aiohttp import web

from adapters import jsonbody
from bot.model import (
    TEXT_CONTROLS,
    Identity,
    Inbound,
    Media,
    MessageKind,
    Outbound,
    StatusUpdate,
    has_control_characters,
)

log = logging.getLogger(__name__)

VISITOR_COOKIE = "sb_vid"
MAX_TEXT = 4096
MAX_FRAME = 64 * 1024
MAX_RECEIPTS = 100
"""Ids in one ``delivered`` frame: a history is shown, and confirmed, in one go."""
MAX_OFFERED = 1000
TEXT_FRAMES = "frames are text: a JSON object with a type"
"""The answer to a binary frame."""
MAX_PENDING = 256
"""Frames pushed to one socket and not written yet: past it, its page has stopped reading."""
MAX_FILE = 10 * 1024 * 1024
"""Bytes of one image or file a visitor sends."""
FILE_TTL = 30 * 24 * 3600.0
"""Seconds the files of the web chat are kept, both ways: then their messages say so."""
MEDIA_PREFIX = "med_"
"""The ids of files in the media store."""
_VISITOR_ID = re.compile(r"[A-Za-z0-9_-]{16,64}")
_CLIENT_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_CHOICE = re.compile(r"b:[0-9]{1,2}")
"""A pressed button's payload, as on Telegram and WhatsApp: ``b:<index>``."""


def favicon(colour: str = "#2563eb") -> str:
    """The page's icon: a speech bubble in its accent colour (``#rrggbb``), as SVG."""
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">'
        f'<path fill="{colour}" d="M6 4h20a4 4 0 0 1 4 4v12a4 4 0 0 1-4 4H13l-7 5v-5a4 4 0 0 '
        '1-4-4V8a4 4 0 0 1 4-4z"/>'
        '<circle fill="#fff" cx="10" cy="14" r="2"/><circle fill="#fff" cx="16" cy="14" r="2"/>'
        '<circle fill="#fff" cx="22" cy="14" r="2"/></svg>'
    )


class FrameError(ValueError):
    """A socket frame the web chat cannot take; the message is shown to the visitor."""

    frame_id = ""
    """The refused message's id, when it had a good one: the page stops sending it again."""
    retry_after: float | None = None
    """Seconds until the same message would be taken, when it came too fast: the page
    keeps it and sends it again then, instead of showing it refused."""


@dataclass(frozen=True, slots=True)
class Branding:
    """How the chat looks: the ``webchat`` section of the YAML file."""

    title: str = "Chat with us"
    colour: str = "#2563eb"
    """The accent colour, ``#rrggbb``."""
    greeting: str = "Say hello: we usually answer right away."
    logo: str | None = None
    """The URL of an image shown beside the title."""


def accent(branding: Branding) -> str:
    """The branding's accent colour, checked again: ``#rrggbb``, else the default blue."""
    return branding.colour if re.fullmatch(r"#[0-9A-Fa-f]{6}", branding.colour) else "#2563eb"


@functools.cache
def page(branding: Branding = Branding()) -> str:
    """The chat page with its branding; every value is escaped, the colour checked again."""
    template = resources.files("adapters").joinpath("webchat.html").read_text(encoding="utf-8")
    colour = accent(branding)
    logo = ""
    if branding.logo:
        source = html.escape(branding.logo)
        logo = f'<img class="logo" src="{source}" alt="" width="28" height="28">'
    values = {
        "title": html.escape(branding.title),
        "colour": colour,
        # In the page: behind a PUBLIC_URL's path, or in the widget on a shop's site, an
        # address at the site's root would be the shop's.
        "icon": "data:image/svg+xml," + urllib.parse.quote(favicon(colour)),
        "greeting": html.escape(branding.greeting),
        "logo": logo,
    }
    return re.sub(r"\{\{(\w+)\}\}", lambda match: values[match.group(1)], template)


def visitor_id(cookie: str | None) -> str | None:
    """The visitor id in a cookie, if it is one we could have issued."""
    return cookie if cookie and _VISITOR_ID.fullmatch(cookie) else None


PONG = '{"type": "pong"}'
"""The answer to the page's ``{"type": "ping"}``: a browser sees no socket-level ping, and a
link dead without a close (packets dropped) is noticed only by a frame left unanswered."""


def read_frame(raw: str) -> dict[str, Any]:
    """A visitor's frame: a JSON object with a ``type`` (``message``, ``delivered`` or
    ``ping``); FrameError for anything else."""
    try:
        frame = jsonbody.loads(raw)
    except jsonbody.NotJSONError as error:
        raise _unreadable(raw, error) from None
    if not isinstance(frame, dict) or frame.get("type") not in ("message", "delivered", "ping"):
        raise FrameError('expected {"type": "message", "id": ..., "text": ...}')
    return frame


BROKEN_TEXT = (
    "This message was not sent: it holds a broken character (half of an emoji, say). "
    "Type it again without it."
)
"""The refusal of a message whose text holds a lone surrogate, which no UTF-8 text holds."""


CONTROL_TEXT = (
    "This message was not sent: it holds a control character (pasted from another "
    "program, say). Type it again without it."
)
"""The refusal of a message whose text holds a control character other than a newline, a
carriage return or a tab, as the API refuses the same text from a service."""


def _unreadable(raw: str, error: jsonbody.NotJSONError) -> FrameError:
    """The refusal of a frame that is not JSON we take. When it is JSON all the same (a
    lone surrogate, which the browser's JSON writes as ``\\ud83d``), it names the message's
    id, so that the page shows it not sent, and sends it no more."""
    try:
        found = json.loads(raw)
    except (ValueError, RecursionError):
        found = None
    if not isinstance(found, dict):
        return FrameError("frames must be JSON")
    refused = FrameError(BROKEN_TEXT if "surrogate" in str(error) else "frames must be JSON")
    page_id = found.get("id")
    if isinstance(page_id, str) and _CLIENT_ID.fullmatch(page_id):
        refused.frame_id = page_id
    return refused


def parse_frame(raw: str, visitor: str, number: str) -> Inbound:
    """A visitor's ``{"type": "message", "id": ..., "text": ...}`` frame as an Inbound;
    a pressed button adds ``"payload": "b:<index>"`` with its label as the text."""
    frame = read_frame(raw)
    if frame["type"] != "message":
        raise FrameError('expected {"type": "message", "id": ..., "text": ...}')
    return message_of(frame, visitor, number)


INVISIBLE_TEXT = (
    "This message was not sent: it shows nothing (only spaces or invisible characters)."
)
_UNSEEN = frozenset(("Cc", "Cf", "Zs", "Zl", "Zp", "Mn", "Me"))
"""Kinds of characters that show nothing by themselves: controls, formats (a zero-width
space, a joiner, a direction mark), spaces, and the marks that go on another character
(an accent, a variation selector, the combining grapheme joiner)."""
_BLANK = frozenset("\u115f\u1160\u3164\uffa0\u2800")
"""Letters and symbols drawn as nothing: the Hangul fillers (Unicode's default ignorable
code points) and the Braille blank, a blank name's favourite tricks."""


def shows_something(text: str) -> bool:
    """Whether ``text`` has a character that shows: a message of zero-width spaces alone
    is an empty bubble, which the automation would answer all the same."""
    return any(ch not in _BLANK and unicodedata.category(ch) not in _UNSEEN for ch in text)


def message_of(frame: dict[str, Any], visitor: str, number: str) -> Inbound:
    client_id, text = frame.get("id"), frame.get("text")
    if not isinstance(client_id, str) or not _CLIENT_ID.fullmatch(client_id):
        raise FrameError("id must be 1-64 letters, digits, - or _")
    try:
        if not isinstance(text, str) or not text.strip():
            raise FrameError("text must be a non-empty string")
        if not shows_something(text):
            raise FrameError(INVISIBLE_TEXT)
        if len(text) > MAX_TEXT:
            raise FrameError(f"text is longer than {MAX_TEXT} characters")
        if has_control_characters(text, allowed=TEXT_CONTROLS):
            raise FrameError(CONTROL_TEXT)
        payload = frame.get("payload")
        if payload in (None, ""):
            payload = ""
        elif not isinstance(payload, str) or not _CHOICE.fullmatch(payload):
            raise FrameError('a button\'s payload is "b:<index>"')
    except FrameError as error:
        error.frame_id = client_id
        raise
    sender = Identity("vid", visitor)
    return Inbound(
        channel="web",
        number=number,
        provider_id=message_prefix(visitor) + client_id,
        sender=sender,
        kind="button" if payload else "text",
        timestamp=time.time(),
        text=text.strip(),
        payload=payload,
        identities=(sender,),
    )


@functools.lru_cache(maxsize=4096)
def message_prefix(visitor: str) -> str:
    """What a visitor's message ids start with: ``web:`` and a digest of the visitor id,
    never the id itself, which is an identity (a cookie, or what a site names its visitor
    by) and would outlive an erasure in the message's skeleton and its dedupe key."""
    return f"web:{hashlib.blake2b(visitor.encode(), digest_size=10).hexdigest()}:"


def client_id(value: str) -> str | None:
    """A message id the page made, if it is one the chat takes."""
    return value if _CLIENT_ID.fullmatch(value) else None


def file_message(
    visitor: str, number: str, page_id: str, kind: str, record: dict[str, Any]
) -> Inbound:
    """A file the visitor sent, kept in the media store, as their message: by reference."""
    sender = Identity("vid", visitor)
    media = Media(
        id=record["id"], mime_type=record["type"], filename=record["filename"], ref=record["id"]
    )
    return Inbound(
        channel="web",
        number=number,
        provider_id=message_prefix(visitor) + page_id,
        sender=sender,
        kind=cast(MessageKind, kind),
        timestamp=time.time(),
        media=media,
        identities=(sender,),
    )


def receipts_of(
    frame: dict[str, Any], visitor: str, number: str, offered: Collection[str]
) -> list[StatusUpdate]:
    """``{"type": "delivered", "ids": [...]}``: the page showed these messages of ours.
    Only ids this socket was sent count: a receipt for anything else is refused whole."""
    ids = frame.get("ids")
    if not isinstance(ids, list) or not 1 <= len(ids) <= MAX_RECEIPTS:
        raise FrameError(f"ids must be a list of 1 to {MAX_RECEIPTS} message ids")
    if not all(isinstance(i, str) and i in offered for i in ids):
        raise FrameError("a delivered id names no message this chat was sent")
    now = time.time()
    recipient = Identity("vid", visitor)
    return [
        StatusUpdate("web", number, message_id, recipient, "delivered", now)
        for message_id in dict.fromkeys(ids)
    ]


TABS_PER_VISITOR = 16
"""Sockets one visitor may hold open in a process (their tabs)."""
SOCKETS_SHARE = 0.75
"""The share of the process's open-files limit its web chat sockets may take: the rest
is for the providers' webhooks, the API and Redis."""
MESSAGES_PER_SECOND, MESSAGE_BURST = 1.0, 20
"""A visitor's pace of messages: 20 at once, then one a second."""
FILES_PER_MINUTE, FILE_BURST = 6.0, 10
"""A visitor's pace of files: 10 at once, then one every 10 seconds."""
PACED_VISITORS = 50_000
"""Visitors whose pace a process keeps in mind (the least recent are forgotten)."""
TOO_FAST = "You are sending faster than the chat takes: wait a moment, then send it again."
FILES_FULL = "The chat takes no more files for now: try again later."
CHAT_FULL = "The chat takes no more messages for now: it is sent again later."
FILE_WINDOW = 3600.0
"""The window of the files all visitors together may send (``web_file_bytes_per_hour``)."""


class Pace:
    """Token buckets by visitor: ``burst`` at once, then ``per_second``."""

    def __init__(self, per_second: float, burst: int) -> None:
        self.per_second = per_second
        self.burst = burst
        self._buckets: dict[str, tuple[float, float]] = {}
        """Each visitor's tokens, and when they were counted (monotonic); oldest first."""

    def take(self, visitor: str) -> bool:
        """Whether ``visitor`` may go on now (and then one token fewer)."""
        now = time.monotonic()
        tokens, at = self._buckets.pop(visitor, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - at) * self.per_second)
        taken = tokens >= 1.0
        self._buckets[visitor] = (tokens - 1.0 if taken else tokens, now)
        while len(self._buckets) > PACED_VISITORS:
            del self._buckets[next(iter(self._buckets))]
        return taken

    def wait(self, visitor: str) -> float:
        """Seconds until ``visitor`` has a token (0 when they have one now), to the
        millisecond, rounded up: a retry after it is taken."""
        now = time.monotonic()
        tokens, at = self._buckets.get(visitor, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - at) * self.per_second)
        return math.ceil(max(0.0, 1.0 - tokens) / self.per_second * 1000) / 1000


def open_files_limit() -> int:
    """The process's limit on open files, as it stands."""
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


class WebChatHub:
    """The sockets open in this process, by visitor; a visitor may have several tabs.
    It remembers which of our messages each socket was sent, the ones it may confirm.

    A pushed frame goes to each socket's own queue, which a task of the socket's writes
    out: the one listener that pushes every visitor's frames never waits on a socket. A
    socket whose page has stopped reading (its queue full) is closed; the page comes
    back with its history."""

    def __init__(self) -> None:
        self._sockets: dict[str, set[web.WebSocketResponse]] = {}
        self._tabs: dict[web.WebSocketResponse, _Tab] = {}
        self._closing: set[asyncio.Task[bool]] = set()
        self.messages = Pace(MESSAGES_PER_SECOND, MESSAGE_BURST)
        self.files = Pace(FILES_PER_MINUTE / 60, FILE_BURST)

    def refusal(self, visitor: str) -> tuple[int, str] | None:
        """Why another socket of ``visitor`` is not taken now, or None: one client holding
        thousands would leave the process no files to open for anything else."""
        if len(self._sockets.get(visitor, ())) >= TABS_PER_VISITOR:
            return 429, f"at most {TABS_PER_VISITOR} chats open at once: close one"
        if len(self._tabs) >= open_files_limit() * SOCKETS_SHARE:
            return 503, "the chat is busy: try again in a moment"
        return None

    def add(self, visitor: str, socket: web.WebSocketResponse) -> None:
        """Take what is pushed to ``socket`` from now on; it is written once ``begin`` has
        sent the socket its first frame, so nothing comes ahead of the history."""
        self._sockets.setdefault(visitor, set()).add(socket)
        queue: asyncio.Queue[str] = asyncio.Queue(MAX_PENDING)
        begun = asyncio.Event()
        writer = asyncio.create_task(self._write(visitor, socket, queue, begun))
        self._tabs[socket] = _Tab(queue, writer, begun)

    async def begin(self, socket: web.WebSocketResponse, first: str) -> None:
        """Send ``socket`` its first frame, then what was pushed to it since ``add``."""
        await socket.send_str(first)
        tab = self._tabs.get(socket)
        if tab is not None:
            tab.begun.set()

    def remove(self, visitor: str, socket: web.WebSocketResponse) -> None:
        tab = self._tabs.pop(socket, None)
        if tab is not None and tab.writer is not asyncio.current_task():
            tab.writer.cancel()
        sockets = self._sockets.get(visitor)
        if sockets:
            sockets.discard(socket)
            if not sockets:
                del self._sockets[visitor]

    def offered(self, socket: web.WebSocketResponse) -> Collection[str]:
        tab = self._tabs.get(socket)
        return tab.offered.keys() if tab else ()

    def offer(self, socket: web.WebSocketResponse, ids: Iterable[str]) -> None:
        tab = self._tabs.get(socket)
        if tab is None:
            return
        for message_id in ids:
            tab.offered[message_id] = None
        while len(tab.offered) > MAX_OFFERED:  # the oldest go first; the page confirms at once
            del tab.offered[next(iter(tab.offered))]

    async def push(self, visitor: str, frame: str) -> None:
        ours = _outbound_id(frame)
        for socket in list(self._sockets.get(visitor, ())):
            if ours:
                self.offer(socket, (ours,))
            try:
                self._tabs[socket].queue.put_nowait(frame)
            except asyncio.QueueFull:
                log.info("a web chat socket of %s stopped reading; it is closed", visitor)
                self.remove(visitor, socket)
                closing = asyncio.create_task(socket.close())
                self._closing.add(closing)
                closing.add_done_callback(self._closing.discard)

    async def _write(
        self,
        visitor: str,
        socket: web.WebSocketResponse,
        queue: asyncio.Queue[str],
        begun: asyncio.Event,
    ) -> None:
        """Send what is pushed to ``socket``, in order, from its first frame until it closes."""
        await begun.wait()
        while True:
            frame = await queue.get()
            try:
                await socket.send_str(frame)
            except (ConnectionError, RuntimeError):  # closed, or closing
                self.remove(visitor, socket)
                return

    async def close_all(self) -> None:
        for sockets in list(self._sockets.values()):
            for socket in list(sockets):
                await socket.close()
        for tab in self._tabs.values():
            tab.writer.cancel()
        self._tabs.clear()
        self._sockets.clear()


@dataclass(eq=False, slots=True)
class _Tab:
    """One socket as the hub keeps it: the frames pushed to it and not written yet, the
    task that writes them (once its first frame is sent), and which of our messages it was
    sent (those it may confirm)."""

    queue: asyncio.Queue[str]
    writer: asyncio.Task[None]
    begun: asyncio.Event
    offered: dict[str, None] = field(default_factory=dict)


def _outbound_id(frame: str) -> str:
    """The id of the message of ours a pushed frame carries, if it carries one."""
    if '"outbound"' not in frame:
        return ""
    found = json.loads(frame)
    message = found.get("message") if found.get("type") == "message" else None
    if isinstance(message, dict) and message.get("direction") == "outbound":
        return str(message.get("id", ""))
    return ""


def kept_media(message: dict[str, Any]) -> str:
    """The id of the kept file a timeline message carries, if it carries one: a visitor's
    upload (``id``) or a service's reply with its upload (``upload``)."""
    media = message.get("media")
    if not isinstance(media, dict):
        return ""
    media_id = str(media.get("id") or media.get("upload") or "")
    return media_id if media_id.startswith(MEDIA_PREFIX) else ""


def caption_of(message: dict[str, Any]) -> str:
    media = message.get("media")
    return str(media.get("caption", "")) if isinstance(media, dict) else ""


def shown_media(media: dict[str, Any], kind: str, url: str) -> dict[str, str]:
    """A file as the page shows it: an image inline, anything else as a link to it."""
    shown = {
        "kind": kind,
        "url": url,
        "type": str(media.get("mime_type") or media.get("content_type") or ""),
        "filename": str(media.get("filename", "")),
    }
    return shown | ({"caption": str(media["caption"])} if media.get("caption") else {})


def shown_file(media: Any, kind: str, urls: Mapping[str, str]) -> dict[str, Any]:
    """The ``media`` of a timeline message as the page shows it: a kept file at its freshly
    signed URL, a file sent by link at its link; nothing for a message without a file."""
    if not isinstance(media, dict):
        return {}
    url = urls.get(kept_media({"media": media})) or media.get("link") or media.get("url")
    if not isinstance(url, str) or not url:
        return {}
    return {"media": shown_media(media, str(media.get("kind") or kind), url)}


def history_frame(
    visitor: str,
    messages: list[dict[str, Any]],
    *,
    opted_out: bool = False,
    media_urls: Mapping[str, str] | None = None,
    links: Mapping[str, Mapping[str, str]] | None = None,
) -> str:
    """The timeline as the page shows it; inbound ids are the page's own, so none shows twice.
    ``opted_out`` says the visitor said STOP and has not said START since; ``media_urls``
    are the signed URLs of the kept files the messages carry; ``links`` each reply's
    tracked links, by its id, as the page was given them with the reply."""
    prefix, before = message_prefix(visitor), f"web:{visitor}:"  # and as ids were made before
    urls, tracked = media_urls or {}, links or {}
    shown = [
        {
            "id": message["id"].removeprefix(prefix).removeprefix(before),
            "direction": message["direction"],
            "text": message.get("text") or caption_of(message),
            "kind": message.get("kind", "text"),
            "timestamp": message.get("timestamp"),
            "buttons": message.get("buttons") or [],
            **({"status": message["status"]} if message.get("status") else {}),
            **shown_file(message.get("media"), message.get("kind", ""), urls),
            **({"links": dict(tracked[message["id"]])} if message["id"] in tracked else {}),
        }
        for message in messages
    ]
    frame = {"type": "history", "messages": shown, "opted_out": opted_out}
    return json.dumps(frame, ensure_ascii=False)


def consent_frame(opted_out: bool) -> str:
    """Tells the page the visitor's STOP (or START) is taken, so it can say so."""
    return json.dumps({"type": "consent", "opted_out": opted_out})


def typing_frame(typing: bool, agent: str = "") -> str:
    """An agent of the business is typing (or stopped): the page shows it for a while."""
    return json.dumps({"type": "typing", "typing": typing, "agent": agent}, ensure_ascii=False)


def message_frame(message: dict[str, Any]) -> str:
    return json.dumps({"type": "message", "message": message}, ensure_ascii=False)


class WebChatTransport:
    """Delivers replies to a visitor's sockets in whichever process holds them."""

    per_second = None
    """A socket has no sending limit."""

    def __init__(
        self,
        publish: Callable[[str, str], Awaitable[None]],
        media_url: Callable[[str], Awaitable[str]] | None = None,
        keep_media: Callable[[str, float], Awaitable[None]] | None = None,
    ) -> None:
        self.publish = publish
        self.media_url = media_url
        """The signed URL of a kept file, by its id."""
        self.keep_media = keep_media
        """Keeps a kept file at least so many seconds from now (never shorter)."""

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
            "buttons": list(outbound.buttons),
        }
        if outbound.targets:  # a link shows as written, and opens its tracked link
            message["links"] = dict(outbound.targets)
        media = outbound.media or {}
        message["text"] = outbound.text or str(media.get("caption", ""))
        kept = kept_media({"media": media})
        if kept and self.keep_media is not None:
            # The chat is the visitor's only copy of a file sent them (an upload is kept a
            # day): it is kept as long as the chat's files are, from now.
            await self.keep_media(kept, FILE_TTL)
        urls = {kept: await self.media_url(kept)} if kept and self.media_url is not None else {}
        message |= shown_file(media, "document", urls)
        await self.publish(outbound.recipient.value, message_frame(message))
        return outbound.send_id
