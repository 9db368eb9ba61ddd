"""A local stand-in for the Telegram Bot API: ``/bot<token>/<method>``, long polling and webhooks.

Answers with the Bot API's own result and error bodies, builds customer updates in the real
shapes, and records what the bot sent, so tests assert on what would have reached Telegram.
"""

from __future__ import annotations

import asyncio
import functools
import html
import json
import math
import re
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from tests.emulators.server import LocalServer
from tests.emulators.telegram_files import METHODS as FILE_SENDS
from tests.emulators.telegram_files import UPLOADS, FilePart, FileRefusal, TelegramFiles

JSON = dict[str, Any]
Result = tuple[Any, str | None]

# The Bot API server clamps getUpdates' timeout to this many seconds.
LONG_POLL_MAX_TIMEOUT = 50
CONFLICT_OTHER_POLL = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
CONFLICT_SET_WEBHOOK = "Conflict: terminated by setWebhook request"
CONFLICT_WEBHOOK_ACTIVE = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
UPDATE_TYPES = ("message", "edited_message", "callback_query")
_CHAT_ACTIONS = frozenset(
    "typing upload_photo record_video upload_video record_voice upload_voice upload_document "
    "choose_sticker find_location record_video_note upload_video_note".split()
)
_HTML_TAGS = frozenset(
    "a b strong i em s strike del u ins code pre span tg-spoiler tg-emoji blockquote".split()
)
# A malformed token gets 404 from Telegram; a well-formed but wrong one gets 401.
_TOKEN_SHAPE = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
_SECRET_SHAPE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


def fake_token(bot_id: int = 7000000001) -> str:
    """A token shaped like BotFather's (``<bot id>:<35 chars>``), which aiogram accepts."""
    return f"{bot_id}:{secrets.token_urlsafe(27)[:35]}"


def error_body(
    status: int,
    description: str,
    *,
    retry_after: int | None = None,
    migrate_to_chat_id: int | None = None,
) -> JSON:
    """The Bot API's ``{"ok": false, ...}`` body, with its ResponseParameters."""
    body: JSON = {"ok": False, "error_code": status, "description": description}
    parameters = {"retry_after": retry_after, "migrate_to_chat_id": migrate_to_chat_id}
    if any(v is not None for v in parameters.values()):
        body["parameters"] = {k: v for k, v in parameters.items() if v is not None}
    return body


def html_error(text: str) -> str | None:
    """Why Telegram's HTML parser would refuse ``text``, or None (a subset of its checks)."""
    raw = text.encode("utf-8")
    open_tags: list[str] = []
    i = 0
    while (start := raw.find(b"<", i)) != -1:
        closing = raw[start + 1 : start + 2] == b"/"
        name_at = start + 1 + closing
        name = re.match(rb"[^\s>]*", raw[name_at:])
        name_end = name_at + (name.end() if name else 0)
        tag = raw[name_at:name_end].decode("utf-8", "replace").lower()
        end = raw.find(b">", name_end)
        i = end + 1
        if not closing and tag not in _HTML_TAGS:
            return f'Unsupported start tag "{tag}" at byte offset {start}'
        if end == -1:
            return f"Unclosed {'end' if closing else 'start'} tag at byte offset {start}"
        if not closing:
            open_tags.append(tag)
        elif not open_tags:
            return f"Unexpected end tag at byte offset {start}"
        elif (expected := open_tags.pop()) != tag:
            return (
                f'Unmatched end tag at byte offset {start}, expected "</{expected}>", '
                f'found "</{tag}>"'
            )
    if open_tags:
        return f'Can\'t find end tag corresponding to start tag "{open_tags[-1]}"'
    return None


@dataclass(frozen=True)
class SentMessage:
    """A sendMessage or editMessageText the emulator accepted."""

    method: str
    chat_id: int
    message_id: int
    text: str
    parse_mode: str | None
    reply_markup: JSON | None
    reply_to_message_id: int | None
    params: JSON
    sent_at: float
    """``time.monotonic()`` when it was accepted."""
    media: JSON | None = None
    """For a file sent: the message's file object, and ``data`` (its bytes)."""

    @property
    def callback_data(self) -> list[str]:
        """The callback_data of every inline button, row by row."""
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [b["callback_data"] for row in rows for b in row if "callback_data" in b]


@dataclass(frozen=True)
class CallbackAnswer:
    """An accepted answerCallbackQuery."""

    callback_query_id: str
    text: str | None
    show_alert: bool
    url: str | None
    answered_at: float


@dataclass
class GetUpdatesCall:
    """One getUpdates request; ``status`` and ``update_ids`` are filled when it returns."""

    offset: int
    limit: int
    timeout: int
    allowed_updates: list[str] | None
    peer: str
    user_agent: str
    started_at: float
    finished_at: float | None = None
    status: int | None = None
    update_ids: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Conflict:
    """A waiting getUpdates that a newer getUpdates (or setWebhook) terminated with 409."""

    description: str
    call: GetUpdatesCall
    at: float


@dataclass(frozen=True)
class WebhookAttempt:
    """One POST of an update to the webhook; ``status`` is None when no answer came."""

    update_id: int
    url: str
    status: int | None
    error: str | None
    headers: dict[str, str]
    at: float


@dataclass(frozen=True)
class BotRequest:
    """Any request that reached the emulator, refused or not."""

    http_method: str
    api_method: str
    content_type: str
    params: JSON
    status: int
    description: str | None
    at: float


@dataclass(frozen=True)
class RateLimits:
    """The flood limits Telegram documents, applied when ``enforce_limits`` is on."""

    per_chat_per_second: int = 1
    per_group_per_minute: int = 20
    global_per_second: int = 30


@dataclass
class _Throttle:
    method: str | None
    remaining: int
    retry_after: int


@dataclass
class _Poll:
    call: GetUpdatesCall
    woken: asyncio.Future[str]


class _Refusal(Exception):
    def __init__(
        self,
        status: int,
        description: str,
        *,
        retry_after: int | None = None,
        migrate_to_chat_id: int | None = None,
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after
        self.migrate_to_chat_id = migrate_to_chat_id


def _bad(description: str) -> _Refusal:
    return _Refusal(400, f"Bad Request: {description}")


def _int(params: JSON, name: str, default: int) -> int:
    try:
        return int(params[name])
    except (KeyError, TypeError, ValueError):
        return default


def _bool(params: JSON, name: str) -> bool:
    return str(params.get(name, "")).lower() in ("true", "1")


def _str(params: JSON, name: str) -> str | None:
    value = params.get(name)
    return None if value is None else str(value)


def _json(params: JSON, name: str, what: str) -> Any:
    value = params.get(name)
    if not isinstance(value, str) or value == "":
        return value or None
    try:
        return json.loads(value)
    except ValueError:
        raise _bad(f"can't parse {what} JSON object") from None


def _check_inline_keyboard(markup: Any) -> None:
    rows = markup.get("inline_keyboard")
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise _bad('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays')
    for button in (b for row in rows for b in row):
        if not isinstance(button, dict) or not isinstance(button.get("text"), str):
            raise _bad('can\'t parse inline keyboard button: Field "text" must be of type String')
        data = button.get("callback_data")
        if data is not None and not 1 <= len(str(data).encode("utf-8")) <= 64:
            raise _bad("BUTTON_DATA_INVALID")
        if len(button) == 1:
            raise _bad(
                "can't parse inline keyboard button: Text buttons are unallowed in the inline "
                "keyboard"
            )


class TelegramAPIEmulator(LocalServer):
    """Serves ``{base}/bot<token>/<method>`` on 127.0.0.1 for one bot token."""

    def __init__(
        self,
        token: str,
        *,
        bot_username: str = "switchboard_test_bot",
        enforce_limits: bool = False,
        limits: RateLimits | None = None,
        known_chats_only: bool = False,
        webhook_max_attempts: int = 3,
        webhook_retry_delay: float = 0.05,
        webhook_timeout: float = 5.0,
        first_update_id: int = 700_000_001,
    ) -> None:
        self.token = token
        bot_id = int(token.split(":", 1)[0]) if token.split(":", 1)[0].isdigit() else 1
        self.bot_user: JSON = {
            "id": bot_id,
            "is_bot": True,
            "first_name": "Switchboard Test",
            "username": bot_username,
        }
        self.enforce_limits = enforce_limits
        self.limits = limits or RateLimits()
        # True mimics Telegram refusing chats the bot has never seen ("chat not found").
        self.known_chats_only = known_chats_only
        self.webhook_max_attempts = webhook_max_attempts
        self.webhook_retry_delay = webhook_retry_delay
        self.webhook_timeout = webhook_timeout
        self.base_url = ""
        self.webhook_url = ""
        self.webhook_secret: str | None = None
        self.allowed_updates: list[str] | None = None
        self.sent: list[SentMessage] = []
        self.files = TelegramFiles()
        self.callback_answers: list[CallbackAnswer] = []
        self.chat_actions: list[tuple[int, str]] = []
        self.get_updates_calls: list[GetUpdatesCall] = []
        self.conflicts: list[Conflict] = []
        self.webhook_attempts: list[WebhookAttempt] = []
        self.requests: list[BotRequest] = []
        self.injected: list[JSON] = []
        self.abandoned_polls = 0
        self._queue: list[JSON] = []
        self._given_up: set[int] = set()
        self._next_update_id = first_update_id
        self._users: dict[int, JSON] = {}
        self._chats: dict[int, JSON] = {}
        self._messages: dict[tuple[int, int], JSON] = {}
        self._next_message_id: dict[int, int] = {}
        self._open_queries: set[str] = set()
        self._blocked: set[int] = set()
        self._migrated: dict[int, int] = {}
        self._throttles: list[_Throttle] = []
        self._slow: list[tuple[str, float]] = []
        self.held = 0
        """Calls being answered late (``slow``) right now."""
        self._odd: list[str] = []
        self._odd_results: dict[str, list[Any]] = {}
        """Results to answer ``ok`` with in place of the call's (``answer_oddly``)."""
        self._gateway: list[tuple[str, int]] = []
        """Methods whose next call the front proxy answers alone (``gateway_error``)."""
        """Methods whose next answer a framework's types cannot read (``answer_oddly``)."""
        """(method, seconds): calls to answer late, in turn (``slow``)."""
        self._poll: _Poll | None = None
        self._changed = asyncio.Event()
        self._webhook_kick = asyncio.Event()
        self._last_webhook_error: tuple[int, str] | None = None
        self._client: aiohttp.ClientSession | None = None
        self._worker: asyncio.Task[None] | None = None
        methods: dict[str, Callable[[web.Request, JSON], Awaitable[Result]]] = {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "answerCallbackQuery": self._answer_callback_query,
            "sendChatAction": self._send_chat_action,
            "getChat": self._get_chat,
            "getFile": self._get_file,
            **{
                method: functools.partial(self._send_file, method, parameter)
                for method, parameter in FILE_SENDS.items()
            },
        }
        # Telegram matches method names case-insensitively.
        self._methods = {name.lower(): (name, handler) for name, handler in methods.items()}

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self, port: int = 0) -> str:
        """Listen and return the base URL, e.g. ``http://127.0.0.1:PORT`` (no ``/bot``)."""
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        app.router.add_route("*", "/{tail:.*}", self._handle_unknown)
        # A poller that disconnects is cancelled, so a dead process never counts as a poller.
        self.base_url = await self._listen(app, port, handler_cancellation=True)
        self._client = aiohttp.ClientSession()
        self._worker = asyncio.create_task(self._webhook_loop())
        return self.base_url

    async def stop(self) -> None:
        if self._poll is not None and not self._poll.woken.done():
            self._poll.woken.set_result("stop")
        if self._worker is not None:
            self._worker.cancel()
            await asyncio.gather(self._worker, return_exceptions=True)
            self._worker = None
        if self._client is not None:
            await self._client.close()
            self._client = None
        await self._shut_down()

    async def aclose(self) -> None:
        await self.stop()

    @property
    def api_url(self) -> str:
        """``{base}/bot<token>``: append ``/<method>`` to call the API by hand."""
        return f"{self.base_url}/bot{self.token}"

    # -- failure injection and chat set-up ---------------------------------------------------

    def throttle(
        self, method: str | None = "sendMessage", times: int = 1, retry_after: int = 1
    ) -> None:
        """Answer the next ``times`` calls of ``method`` (None: any method) with 429."""
        if times > 0:
            self._throttles.append(_Throttle(method and method.lower(), times, retry_after))

    def slow(self, method: str = "sendMessage", seconds: float = 6.0, times: int = 1) -> None:
        """Answer the next ``times`` calls of ``method`` only after ``seconds``: a Bot API
        that is slow (Telegram's answers take seconds at times), not down."""
        self._slow.extend([(method.lower(), seconds)] * times)

    def answer_oddly(
        self, method: str = "sendMessage", times: int = 1, *, result: Any = None
    ) -> None:
        """Do the next ``times`` calls of ``method``, and answer ``ok`` with a message that
        lacks its ``date`` (or with ``result`` itself, given one): what a change of the Bot
        API's types looks like to a framework that does not know it yet."""
        if result is None:
            self._odd.extend([method.lower()] * times)
        else:
            self._odd_results.setdefault(method.lower(), []).extend([result] * times)

    def gateway_error(self, method: str = "sendMessage", status: int = 502, times: int = 1) -> None:
        """Answer the next ``times`` calls of ``method`` with ``status`` and an HTML page,
        as the proxy in front of the Bot API does when the API behind it is down: the call
        is not made."""
        self._gateway.extend([(method.lower(), status)] * times)

    def renumber(self, next_update_id: int) -> None:
        """Number the next update ``next_update_id``: Telegram picks it at random after a
        week without updates, so it may be below the ids before it."""
        self._next_update_id = next_update_id

    def block(self, chat_id: int) -> None:
        """The user blocked the bot: sends to ``chat_id`` get 403 from now on."""
        self._blocked.add(chat_id)

    def user_blocks(self, user_id: int) -> JSON:
        """The user blocked the bot in their private chat, as Telegram tells it: a
        ``my_chat_member`` update (the bot's new status ``kicked``), and 403 for every send
        to them from now on."""
        self._blocked.add(user_id)
        return self._push("my_chat_member", self.member_change(user_id, "member", "kicked"))

    def user_restarts(self, user_id: int) -> JSON:
        """The user unblocked the bot ("Restart"): the bot is a ``member`` again."""
        self._blocked.discard(user_id)
        return self._push("my_chat_member", self.member_change(user_id, "kicked", "member"))

    def member_change(self, user_id: int, old: str, new: str) -> JSON:
        """ChatMemberUpdated of the bot in ``user_id``'s private chat, by that user."""

        def member(status: str) -> JSON:
            banned = {"until_date": 0} if status == "kicked" else {}
            return {"status": status, "user": dict(self.bot_user), **banned}

        return {
            "chat": self._chat(user_id),
            "from": self._user(user_id, None),
            "date": int(time.time()),
            "old_chat_member": member(old),
            "new_chat_member": member(new),
        }

    def migrate(
        self, group_id: int, supergroup_id: int, by_user: int, *, announced: bool = True
    ) -> None:
        """The group became a supergroup with a new id, as Telegram does when a group is
        made public or passes 200 members: a service message in each chat says so (unless
        not ``announced``: updates a bot missed), and a send to the old id gets 400 with
        ``migrate_to_chat_id`` from now on."""
        old = self._chat(group_id)
        new = self.add_group(supergroup_id, old.get("title", "Team"), chat_type="supergroup")
        self._migrated[group_id] = supergroup_id
        if announced:
            sender = self._user(by_user, None)
            told = {"migrate_to_chat_id": supergroup_id}
            self._push("message", self._new_message(old, sender, told))
            told = {"migrate_from_chat_id": group_id}
            self._push("message", self._new_message(new, sender, told))

    def add_user(
        self,
        user_id: int,
        first_name: str = "Ann",
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
    ) -> JSON:
        """Register (or update) a customer and their private chat; returns the User."""
        user: JSON = {"id": user_id, "is_bot": False, "first_name": first_name}
        extra = {"last_name": last_name, "username": username, "language_code": language_code}
        user.update({k: v for k, v in extra.items() if v is not None})
        self._users[user_id] = user
        chat = {"id": user_id, "first_name": first_name, "type": "private"}
        chat.update({k: extra[k] for k in ("last_name", "username") if extra[k] is not None})
        self._chats[user_id] = chat
        return user

    def add_group(self, chat_id: int, title: str = "Team", *, chat_type: str | None = None) -> JSON:
        """Register a group chat (negative id); ``-100...`` ids default to supergroups."""
        if chat_id >= 0:
            raise ValueError(f"group chat ids are negative, got {chat_id}")
        kind = chat_type or ("supergroup" if str(chat_id).startswith("-100") else "group")
        self._chats[chat_id] = {"id": chat_id, "title": title, "type": kind}
        return self._chats[chat_id]

    # -- updates the test injects ----------------------------------------------------------

    def customer_text(
        self,
        user_id: int,
        text: str,
        *,
        first_name: str | None = None,
        chat_id: int | None = None,
        reply_to_message_id: int | None = None,
        entities: list[JSON] | None = None,
    ) -> JSON:
        """A text message from ``user_id`` (private chat unless ``chat_id`` is a group)."""
        content: JSON = {"text": text}
        if entities:
            content["entities"] = entities
        return self._message_update(user_id, chat_id, first_name, reply_to_message_id, content)

    def customer_message(self, user_id: int, content: JSON) -> JSON:
        """A message from ``user_id`` in its private chat with ``content`` as given: what
        Telegram sends beyond its own documentation (a field a framework's model lacks)."""
        return self._message_update(user_id, None, None, None, content)

    def raw_update(self, kind: str, payload: Any) -> JSON:
        """An update of ``kind`` carrying ``payload`` as it is, broken or not."""
        return self._push(kind, payload)

    def group_text(
        self,
        chat_id: int,
        user_id: int,
        text: str,
        *,
        first_name: str | None = None,
        reply_to_message_id: int | None = None,
    ) -> JSON:
        """A text message in a group; ``reply_to_message_id`` may point at a bot message."""
        return self.customer_text(
            user_id,
            text,
            first_name=first_name,
            chat_id=chat_id,
            reply_to_message_id=reply_to_message_id,
        )

    def command(
        self,
        user_id: int,
        command: str,
        args: str = "",
        *,
        first_name: str | None = None,
        chat_id: int | None = None,
        mention_bot: bool = False,
        reply_to_message_id: int | None = None,
    ) -> JSON:
        """``/command args`` with its bot_command entity (``/cmd@bot`` if ``mention_bot``)."""
        head = "/" + command.lstrip("/")
        if mention_bot:
            head += f"@{self.bot_user['username']}"
        text = f"{head} {args}" if args else head
        entity = {"type": "bot_command", "offset": 0, "length": len(head.encode("utf-16-le")) // 2}
        return self.customer_text(
            user_id,
            text,
            first_name=first_name,
            chat_id=chat_id,
            reply_to_message_id=reply_to_message_id,
            entities=[entity],
        )

    def contact_share(
        self,
        user_id: int,
        phone_number: str,
        *,
        first_name: str | None = None,
        last_name: str | None = None,
        contact_user_id: int | None = None,
        chat_id: int | None = None,
        reply_to_message_id: int | None = None,
    ) -> JSON:
        """A shared contact; by default the sender's own (``contact.user_id`` = sender)."""
        sender = self._user(user_id, first_name)
        contact: JSON = {
            "phone_number": phone_number,
            "first_name": first_name or sender["first_name"],
            "user_id": user_id if contact_user_id is None else contact_user_id,
        }
        if last_name:
            contact["last_name"] = last_name
        content = {"contact": contact}
        return self._message_update(user_id, chat_id, first_name, reply_to_message_id, content)

    def location_share(
        self,
        user_id: int,
        latitude: float,
        longitude: float,
        *,
        title: str | None = None,
        address: str = "",
        chat_id: int | None = None,
        reply_to_message_id: int | None = None,
    ) -> JSON:
        """A shared point; with ``title``, a venue (Telegram sends both ``location`` and
        ``venue`` for one)."""
        point: JSON = {"latitude": latitude, "longitude": longitude}
        content: JSON = {"location": point}
        if title is not None:
            content["venue"] = {"location": point, "title": title, "address": address}
        return self._message_update(user_id, chat_id, None, reply_to_message_id, content)

    def photo(
        self,
        user_id: int,
        *,
        caption: str | None = None,
        first_name: str | None = None,
        chat_id: int | None = None,
        sizes: tuple[tuple[int, int], ...] = ((90, 68), (320, 240), (1280, 960)),
        data: bytes | None = None,
        reply_to_message_id: int | None = None,
    ) -> JSON:
        """A photo: ``message.photo`` lists one PhotoSize per size, smallest first; with
        ``data``, getFile serves it as the largest size's file."""
        unique = secrets.token_urlsafe(9)
        photo = [
            {
                "file_id": f"AgACAgIAAxkBAAI{secrets.token_urlsafe(40)}",
                "file_unique_id": f"AQAD{unique}{n}",
                "file_size": w * h // 10,
                "width": w,
                "height": h,
            }
            for n, (w, h) in enumerate(sizes)
        ]
        if data is not None:
            held = self.files.hold(data, "jpg", file_id=photo[-1]["file_id"])
            photo[-1]["file_size"] = len(held.data)
        content: JSON = {"photo": photo}
        if caption is not None:
            content["caption"] = caption
        return self._message_update(user_id, chat_id, first_name, reply_to_message_id, content)

    def document(
        self,
        user_id: int,
        file_name: str = "invoice.pdf",
        mime_type: str = "application/pdf",
        *,
        file_size: int = 48213,
        caption: str | None = None,
        first_name: str | None = None,
        chat_id: int | None = None,
        data: bytes | None = None,
        field: str = "document",
        reply_to_message_id: int | None = None,
    ) -> JSON:
        """A file sent as a document (or as ``field``: ``voice``, ``audio``, ``video``);
        with ``data``, getFile serves it."""
        document = {
            "file_name": file_name,
            "mime_type": mime_type,
            "file_id": f"BQACAgIAAxkBAAI{secrets.token_urlsafe(40)}",
            "file_unique_id": f"AgAD{secrets.token_urlsafe(9)}",
            "file_size": file_size,
        }
        if field in ("voice", "audio", "video"):
            document["duration"] = 3  # required of these, as width and height of a video
            if field == "voice":
                del document["file_name"]  # a voice note has none
        if field == "video":
            document |= {"width": 640, "height": 360}
        if data is not None:
            extension = file_name.rpartition(".")[2] or "bin"
            self.files.hold(data, extension, file_id=str(document["file_id"]))
            document["file_size"] = len(data)
        content: JSON = {field: document}
        if caption is not None:
            content["caption"] = caption
        return self._message_update(user_id, chat_id, first_name, reply_to_message_id, content)

    def callback_query(
        self,
        user_id: int,
        data: str,
        message_id: int | None = None,
        *,
        chat_id: int | None = None,
        first_name: str | None = None,
    ) -> JSON:
        """A button press on a bot message (default: the bot's latest keyboard in the chat)."""
        sender = self._user(user_id, first_name)
        chat = self._chat(user_id if chat_id is None else chat_id)
        if message_id is None:
            keyboards = [
                mid
                for (cid, mid), m in self._messages.items()
                if cid == chat["id"] and "inline_keyboard" in m.get("reply_markup", {})
            ]
            if not keyboards:
                raise ValueError(f"the bot sent no inline keyboard to chat {chat['id']}")
            message_id = max(keyboards)
        message = self._stored(chat["id"], message_id)
        query_id = str(secrets.randbits(62))
        self._open_queries.add(query_id)
        query = {
            "id": query_id,
            "from": sender,
            "message": message,
            # Telegram's is opaque but stable per chat; any stable number will do.
            "chat_instance": str(abs(chat["id"]) * 7919 + self.bot_user["id"]),
            "data": data,
        }
        return self._push("callback_query", query)

    def edited_text(
        self, user_id: int, message_id: int, text: str, *, chat_id: int | None = None
    ) -> JSON:
        """The customer edited their message ``message_id``: an ``edited_message`` update."""
        chat_id = user_id if chat_id is None else chat_id
        message = self._messages.get((chat_id, message_id))
        if message is None or message["from"]["id"] != user_id:
            raise ValueError(f"no message {message_id} from {user_id} in chat {chat_id}")
        message.update(text=text, edit_date=int(time.time()))
        return self._push("edited_message", dict(message))

    # -- what the bot did --------------------------------------------------------------------

    def messages_to(self, chat_id: int) -> list[SentMessage]:
        """Messages the bot sent to ``chat_id`` (edits excluded), in order."""
        return [s for s in self.sent if s.chat_id == chat_id and s.method == "sendMessage"]

    @property
    def pending_updates(self) -> list[JSON]:
        """Updates not yet confirmed by getUpdates nor acknowledged by the webhook."""
        return list(self._queue)

    async def wait_until(
        self, ready: Callable[[], bool], timeout: float = 5.0, what: str = "the condition"
    ) -> None:
        """Wait until ``ready()`` holds; it is re-checked whenever the emulator records anything."""
        deadline = time.monotonic() + timeout
        while not ready():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(
                    f"expected {what} within {timeout}s; sent={len(self.sent)}, "
                    f"requests={len(self.requests)}, webhook attempts={len(self.webhook_attempts)}"
                )
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except TimeoutError:
                pass

    async def wait_for_sent(self, n: int, timeout: float = 5.0) -> list[SentMessage]:
        """Wait until at least ``n`` sends and edits were accepted; return all of them."""
        await self.wait_until(lambda: len(self.sent) >= n, timeout, f"{n} sends")
        return list(self.sent)

    @property
    def waiting_poll(self) -> GetUpdatesCall | None:
        """The getUpdates parked in a long poll right now, if any."""
        return self._poll.call if self._poll is not None else None

    async def wait_for_poller(self, timeout: float = 5.0) -> GetUpdatesCall:
        """Wait until a getUpdates is parked in a long poll; return that call."""
        await self.wait_until(lambda: self._poll is not None, timeout, "a waiting getUpdates")
        assert self._poll is not None
        return self._poll.call

    async def wait_for_webhook_attempts(self, n: int, timeout: float = 5.0) -> list[WebhookAttempt]:
        """Wait until ``n`` webhook POSTs were made (successful or not)."""
        log = self.webhook_attempts
        await self.wait_until(lambda: len(log) >= n, timeout, f"{n} webhook attempts")
        return list(log)

    async def wait_for_callback_answers(self, n: int, timeout: float = 5.0) -> list[CallbackAnswer]:
        """Wait until ``n`` answerCallbackQuery calls were accepted."""
        answers = self.callback_answers
        await self.wait_until(lambda: len(answers) >= n, timeout, f"{n} callback answers")
        return list(answers)

    def send_times(self, chat_id: int | None = None) -> list[float]:
        """Monotonic times of accepted sendMessage calls, to one chat or to all."""
        return [
            s.sent_at
            for s in self.sent
            if s.method == "sendMessage" and (chat_id is None or s.chat_id == chat_id)
        ]

    def max_rate(self, window: float, chat_id: int | None = None) -> int:
        """Most sends observed in any ``window``-second span, to one chat or to all."""
        times = sorted(self.send_times(chat_id))
        best, first = 0, 0
        for last, t in enumerate(times):
            while t - times[first] >= window:
                first += 1
            best = max(best, last - first + 1)
        return best

    def max_per_chat_per_second(self) -> int:
        """The busiest chat's most sends in any 1 s (Telegram asks for at most about 1)."""
        chats = {s.chat_id for s in self.sent}
        return max((self.max_rate(1.0, chat) for chat in chats), default=0)

    def max_per_group_per_minute(self) -> int:
        """The busiest group's most sends in any 60 s (Telegram allows 20)."""
        groups = {s.chat_id for s in self.sent if s.chat_id < 0}
        return max((self.max_rate(60.0, chat) for chat in groups), default=0)

    def max_global_per_second(self) -> int:
        """Most sends to all chats in any 1 s (Telegram allows about 30)."""
        return self.max_rate(1.0)

    async def redeliver(self, update_id: int) -> int | None:
        """POST an already injected update to the webhook again, as Telegram's resends do."""
        update = next((u for u in self.injected if u["update_id"] == update_id), None)
        if update is None or not self.webhook_url:
            raise ValueError(f"no webhook set or unknown update {update_id}")
        return (await self._post_update(update)).status

    # -- Bot API methods -----------------------------------------------------------------------

    async def _get_me(self, request: web.Request, params: JSON) -> Result:
        extra = {"can_join_groups": True, "can_read_all_group_messages": False}
        extra.update(supports_inline_queries=False, can_connect_to_business=False)
        return {**self.bot_user, **extra, "has_main_web_app": False}, None

    async def _get_updates(self, request: web.Request, params: JSON) -> Result:
        allowed = _json(params, "allowed_updates", "allowed updates")
        peer = request.transport.get_extra_info("peername") if request.transport else None
        call = GetUpdatesCall(
            offset=_int(params, "offset", 0),
            limit=min(max(_int(params, "limit", 100), 1), 100),
            timeout=min(max(_int(params, "timeout", 0), 0), LONG_POLL_MAX_TIMEOUT),
            allowed_updates=allowed if isinstance(allowed, list) else None,
            peer=f"{peer[0]}:{peer[1]}" if peer else "?",
            user_agent=request.headers.get("User-Agent", ""),
            started_at=time.monotonic(),
        )
        self.get_updates_calls.append(call)
        try:
            updates = await self._long_poll(call)
            call.status, call.update_ids = 200, [u["update_id"] for u in updates]
            return updates, None
        except _Refusal as refusal:
            call.status = refusal.status
            raise
        finally:
            call.finished_at = time.monotonic()
            self._bump()

    async def _set_webhook(self, request: web.Request, params: JSON) -> Result:
        url = _str(params, "url") or ""
        if not url:
            return await self._delete_webhook(request, params)
        if not re.match(r"^https?://[^/\s]+", url):
            raise _bad("invalid webhook URL specified")
        secret = _str(params, "secret_token")
        if secret is not None and not _SECRET_SHAPE.match(secret):
            raise _bad("secret token contains unallowed characters")
        allowed = _json(params, "allowed_updates", "allowed updates")
        drop = _bool(params, "drop_pending_updates")
        if url == self.webhook_url and secret == self.webhook_secret and not drop:
            return True, "Webhook is already set"
        self._abort_poll(CONFLICT_SET_WEBHOOK)
        if drop:
            self._queue.clear()
        if isinstance(allowed, list) and allowed:
            self.allowed_updates = [str(kind) for kind in allowed]
        self.webhook_url, self.webhook_secret = url, secret
        self._given_up.clear()
        self._last_webhook_error = None
        self._webhook_kick.set()
        return True, "Webhook was set"

    async def _delete_webhook(self, request: web.Request, params: JSON) -> Result:
        if _bool(params, "drop_pending_updates"):
            self._queue.clear()
        if not self.webhook_url:
            return True, "Webhook is already deleted"
        self.webhook_url, self.webhook_secret = "", None
        return True, "Webhook was deleted"

    async def _get_webhook_info(self, request: web.Request, params: JSON) -> Result:
        info: JSON = {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._queue),
        }
        if self.webhook_url:
            info.update(max_connections=40, ip_address="127.0.0.1")
            if self.allowed_updates:
                info["allowed_updates"] = self.allowed_updates
            if self._last_webhook_error:
                info["last_error_date"], info["last_error_message"] = self._last_webhook_error
        return info, None

    async def _send_message(self, request: web.Request, params: JSON) -> Result:
        shown, parse_mode, markup = self._check_text(params)
        chat = self._target_chat(params)
        reply = _json(params, "reply_parameters", "reply parameters")
        reply = reply if isinstance(reply, dict) else {}
        reply_to = _int(reply, "message_id", _int(params, "reply_to_message_id", 0)) or None
        allow_missing = _bool(reply, "allow_sending_without_reply") or _bool(
            params, "allow_sending_without_reply"
        )
        if reply_to is not None and (chat["id"], reply_to) not in self._messages:
            if not allow_missing:
                raise _bad("message to be replied not found")
            reply_to = None
        if self.enforce_limits:
            self._check_rate(chat["id"])
        content: JSON = {"text": shown}
        if reply_to is not None:
            content["reply_to_message"] = self._stored(chat["id"], reply_to)
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            content["reply_markup"] = markup
        message = self._new_message(chat, self.bot_user, content)
        self._record_sent("sendMessage", params, message, parse_mode, markup, reply_to)
        return message, None

    async def _edit_message_text(self, request: web.Request, params: JSON) -> Result:
        shown, parse_mode, markup = self._check_text(params)
        if _str(params, "inline_message_id"):
            return True, None
        chat = self._target_chat(params)
        message_id = _int(params, "message_id", 0)
        if not message_id:
            raise _bad("message identifier is not specified")
        message = self._messages.get((chat["id"], message_id))
        if message is None:
            raise _bad("message to edit not found")
        if message["from"]["id"] != self.bot_user["id"]:
            raise _bad("message can't be edited")
        new_markup = markup if isinstance(markup, dict) and "inline_keyboard" in markup else None
        if message.get("text") == shown and message.get("reply_markup") == new_markup:
            raise _Refusal(400, NOT_MODIFIED)
        message.update(text=shown, edit_date=int(time.time()))
        message.pop("reply_markup", None)
        if new_markup is not None:
            message["reply_markup"] = new_markup
        self._record_sent("editMessageText", params, message, parse_mode, markup, None)
        return dict(message), None

    async def _answer_callback_query(self, request: web.Request, params: JSON) -> Result:
        query_id = _str(params, "callback_query_id") or ""
        if query_id not in self._open_queries:
            raise _Refusal(400, QUERY_TOO_OLD)
        if len(_str(params, "text") or "") > 200:
            raise _bad("MESSAGE_TOO_LONG")
        self._open_queries.discard(query_id)
        answer = CallbackAnswer(
            query_id,
            _str(params, "text"),
            _bool(params, "show_alert"),
            _str(params, "url"),
            time.monotonic(),
        )
        self.callback_answers.append(answer)
        return True, None

    async def _send_chat_action(self, request: web.Request, params: JSON) -> Result:
        chat = self._target_chat(params)
        action = _str(params, "action") or ""
        if action not in _CHAT_ACTIONS:
            raise _bad("wrong parameter action in request")
        self.chat_actions.append((chat["id"], action))
        return True, None

    async def _get_chat(self, request: web.Request, params: JSON) -> Result:
        chat_id = _int(params, "chat_id", 0)
        if chat_id not in self._chats:
            raise _bad("chat not found")
        gifts = {"unlimited_gifts": False, "limited_gifts": False, "unique_gifts": False}
        gifts.update(premium_subscription=False, gifts_from_channels=False)
        full = {"accent_color_id": 0, "max_reaction_count": 11, "accepted_gift_types": gifts}
        return {**self._chats[chat_id], **full}, None

    # -- internals -----------------------------------------------------------------------------

    def _bump(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    def _user(self, user_id: int, first_name: str | None) -> JSON:
        known = self._users.get(user_id)
        if known is not None and (not first_name or first_name == known["first_name"]):
            return known
        # A rename makes new dicts, so updates handed out earlier keep the old name.
        old = known or {"language_code": "en"}
        return self.add_user(
            user_id,
            first_name or "Ann",
            last_name=old.get("last_name"),
            username=old.get("username"),
            language_code=old.get("language_code"),
        )

    def _chat(self, chat_id: int) -> JSON:
        if chat_id not in self._chats:
            if chat_id >= 0:
                self._user(chat_id, None)
            else:
                self.add_group(chat_id, f"Group {-chat_id}")
        return self._chats[chat_id]

    def _stored(self, chat_id: int, message_id: int) -> JSON:
        message = self._messages.get((chat_id, message_id))
        if message is None:
            raise ValueError(f"no message {message_id} in chat {chat_id}")
        # Telegram nests one level only: a replied-to message carries no reply of its own.
        return {k: v for k, v in message.items() if k != "reply_to_message"}

    def _new_message(self, chat: JSON, sender: JSON, content: JSON) -> JSON:
        message_id = self._next_message_id.get(chat["id"], 1)
        self._next_message_id[chat["id"]] = message_id + 1
        message = {"message_id": message_id, "from": sender, "chat": chat}
        message.update({"date": int(time.time()), **content})
        self._messages[(chat["id"], message_id)] = message
        return dict(message)

    def _message_update(
        self,
        user_id: int,
        chat_id: int | None,
        first_name: str | None,
        reply_to_message_id: int | None,
        content: JSON,
    ) -> JSON:
        sender = self._user(user_id, first_name)
        chat = self._chat(user_id if chat_id is None else chat_id)
        if reply_to_message_id is not None:
            content = {**content, "reply_to_message": self._stored(chat["id"], reply_to_message_id)}
        return self._push("message", self._new_message(chat, sender, content))

    def _push(self, kind: str, payload: JSON) -> JSON:
        update = {"update_id": self._next_update_id, kind: payload}
        self._next_update_id += 1
        self.injected.append(update)
        # Like Telegram, allowed_updates filters when an update is created, not when served.
        if self.allowed_updates is None or kind in self.allowed_updates:
            self._queue.append(update)
            if self.webhook_url:
                self._webhook_kick.set()
            elif self._poll is not None and not self._poll.woken.done():
                self._poll.woken.set_result("update")
        self._bump()
        return update

    def _confirm(self, offset: int) -> None:
        if offset > 0:
            self._queue = [u for u in self._queue if u["update_id"] >= offset]
        elif offset < 0:
            self._queue = self._queue[offset:]

    async def _long_poll(self, call: GetUpdatesCall) -> list[JSON]:
        if self.webhook_url:
            raise _Refusal(409, CONFLICT_WEBHOOK_ACTIVE)
        if call.allowed_updates:
            self.allowed_updates = [str(kind) for kind in call.allowed_updates]
        elif call.allowed_updates == []:
            self.allowed_updates = None
        self._confirm(call.offset)
        if self._queue or call.timeout == 0:
            return self._queue[: call.limit]
        # Only a request that is about to wait evicts the waiting one; newest wins, as in
        # telegram-bot-api's do_get_updates (abort_long_poll before parking the new query).
        self._abort_poll(CONFLICT_OTHER_POLL)
        poll = _Poll(call, asyncio.get_running_loop().create_future())
        self._poll = poll
        self._bump()
        try:
            outcome = await asyncio.wait_for(asyncio.shield(poll.woken), call.timeout)
        except TimeoutError:
            outcome = "timeout"
        except asyncio.CancelledError:
            # The client hung up (a killed process): its poll ends without any answer.
            self.abandoned_polls += 1
            self._bump()
            raise
        finally:
            if self._poll is poll:
                self._poll = None
        if outcome.startswith("Conflict"):
            raise _Refusal(409, outcome)
        return self._queue[: call.limit]

    def _abort_poll(self, description: str) -> None:
        poll, self._poll = self._poll, None
        if poll is not None and not poll.woken.done():
            poll.woken.set_result(description)
            self.conflicts.append(Conflict(description, poll.call, time.monotonic()))

    def _check_text(self, params: JSON) -> tuple[str, str | None, Any]:
        """Validate text, parse_mode and reply_markup; return the text as users see it."""
        text = _str(params, "text") or ""
        parse_mode = _str(params, "parse_mode") or None
        shown = text
        if parse_mode is not None:
            if parse_mode.lower() not in ("html", "markdown", "markdownv2"):
                raise _bad(f"unsupported parse_mode {parse_mode}")
            if parse_mode.lower() == "html":
                if problem := html_error(text):
                    raise _bad(f"can't parse entities: {problem}")
                shown = html.unescape(re.sub(r"<[^>]*>", "", text))
        if not shown.strip():
            raise _bad("message text is empty")
        if len(shown) > 4096:
            raise _bad("message is too long")
        markup = _json(params, "reply_markup", "reply keyboard markup")
        if markup is not None and not isinstance(markup, dict):
            raise _bad("can't parse reply keyboard markup JSON object")
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            _check_inline_keyboard(markup)
        return shown, parse_mode, markup

    def _target_chat(self, params: JSON) -> JSON:
        raw = _str(params, "chat_id")
        if not raw:
            raise _bad("chat_id is empty")
        try:
            chat_id = int(raw)
        except ValueError:
            raise _bad("chat not found") from None
        if chat_id in self._blocked:
            raise _Refusal(403, "Forbidden: bot was blocked by the user")
        if chat_id in self._migrated:
            raise _Refusal(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                migrate_to_chat_id=self._migrated[chat_id],
            )
        if self.known_chats_only and chat_id not in self._chats:
            raise _bad("chat not found")
        return self._chat(chat_id)

    def _check_rate(self, chat_id: int) -> None:
        now = time.monotonic()
        limits = self.limits
        checks = [(None, 1.0, limits.global_per_second), (chat_id, 1.0, limits.per_chat_per_second)]
        if chat_id < 0:
            checks.append((chat_id, 60.0, limits.per_group_per_minute))
        for scope, window, limit in checks:
            recent = [t for t in self.send_times(scope) if now - t < window]
            if len(recent) >= limit:
                wait = recent[len(recent) - limit] + window - now
                retry_after = max(1, math.ceil(wait))
                raise _Refusal(
                    429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after
                )

    def _record_sent(
        self,
        method: str,
        params: JSON,
        message: JSON,
        parse_mode: str | None,
        markup: Any,
        reply_to: int | None,
        media: JSON | None = None,
    ) -> None:
        self.sent.append(
            SentMessage(
                method=method,
                chat_id=message["chat"]["id"],
                message_id=message["message_id"],
                text=str(params.get("text", "")),
                parse_mode=parse_mode,
                reply_markup=markup if isinstance(markup, dict) else None,
                reply_to_message_id=reply_to,
                params=dict(params),
                sent_at=time.monotonic(),
                media=media,
            )
        )

    def _refuse_if_throttled(self, method: str) -> None:
        for throttle in self._throttles:
            if throttle.method in (None, method.lower()):
                throttle.remaining -= 1
                if throttle.remaining <= 0:
                    self._throttles.remove(throttle)
                wait = throttle.retry_after
                raise _Refusal(429, f"Too Many Requests: retry after {wait}", retry_after=wait)

    async def _read_params(self, request: web.Request) -> JSON:
        params: JSON = dict(request.query)
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise _bad("can't parse JSON encoded request") from None
            if isinstance(body, dict):
                params.update(body)
        elif request.can_read_body:
            form = await request.post()
            uploads: dict[str, FilePart] = {}
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    part = FilePart(value.filename, value.content_type, value.file.read())
                    uploads[key] = part
                    params[key] = f"<file {value.filename}>"
                else:
                    params[key] = value
            request[UPLOADS] = uploads
        return params

    async def _send_file(
        self, method: str, parameter: str, request: web.Request, params: JSON
    ) -> Result:
        chat = self._target_chat(params)
        caption = _str(params, "caption") or ""
        if len(caption) > 1024:
            raise _bad("message caption is too long")
        parse_mode = _str(params, "parse_mode") or None
        if parse_mode is not None and parse_mode.lower() not in ("html", "markdown", "markdownv2"):
            raise _bad(f"unsupported parse_mode {parse_mode}")
        if self.enforce_limits:
            self._check_rate(chat["id"])
        assert self._client is not None
        try:
            data, filename = await self.files.read_file(request, params, parameter, self._client)
        except FileRefusal as refusal:
            raise _Refusal(refusal.status, refusal.description) from None
        content = self.files.sent_content(parameter, data, filename, caption)
        message = self._new_message(chat, self.bot_user, content)
        media = {"type": parameter, "data": data, "filename": filename, **content}
        self._record_sent(method, params, message, parse_mode, None, None, media)
        return message, None

    async def _get_file(self, request: web.Request, params: JSON) -> Result:
        try:
            return self.files.get_file(params), None
        except FileRefusal as refusal:
            raise _Refusal(refusal.status, refusal.description) from None

    async def _download(self, request: web.Request) -> web.Response:
        """``/file/bot<token>/<file_path>``: a file's bytes, for the bot's own token only."""
        if not secrets.compare_digest(request.match_info["token"], self.token):
            return web.json_response(error_body(401, "Unauthorized"), status=401)
        data = self.files.download(request.match_info["path"])
        if data is None:
            return web.json_response(error_body(404, "Not Found"), status=404)
        return web.Response(body=data, content_type="application/octet-stream")

    async def _handle(self, request: web.Request) -> web.Response:
        token, name = request.match_info["token"], request.match_info["method"]
        params: JSON = {}
        try:
            params = await self._read_params(request)
            if not _TOKEN_SHAPE.match(token):
                raise _Refusal(404, "Not Found")
            if not secrets.compare_digest(token, self.token):
                raise _Refusal(401, "Unauthorized")
            if name.lower() not in self._methods:
                raise _Refusal(404, "Not Found")
            name, handler = self._methods[name.lower()]
            gateway = next((n for n, (m, _) in enumerate(self._gateway) if m == name.lower()), None)
            if gateway is not None:
                status = self._gateway.pop(gateway)[1]
                self._record(request, name, params, status, "the proxy's page")
                page = f"<html><head><title>{status}</title></head><body>{status}</body></html>"
                return web.Response(status=status, text=page, content_type="text/html")
            self._refuse_if_throttled(name)
            slow = next((n for n, (m, _) in enumerate(self._slow) if m == name.lower()), None)
            if slow is not None:
                self.held += 1
                self._bump()
                try:
                    await asyncio.sleep(self._slow.pop(slow)[1])
                finally:
                    self.held -= 1
                    self._bump()
            result, description = await handler(request, params)
            if self._odd_results.get(name.lower()):
                result = self._odd_results[name.lower()].pop(0)
            elif name.lower() in self._odd and isinstance(result, dict):
                self._odd.remove(name.lower())
                result = {k: v for k, v in result.items() if k != "date"}
        except _Refusal as refusal:
            self._record(request, name, params, refusal.status, refusal.description)
            body = error_body(
                refusal.status,
                refusal.description,
                retry_after=refusal.retry_after,
                migrate_to_chat_id=refusal.migrate_to_chat_id,
            )
            return web.json_response(body, status=refusal.status)
        self._record(request, name, params, 200, description)
        answer: JSON = {"ok": True, "result": result}
        if description:
            answer["description"] = description
        return web.json_response(answer)

    async def _handle_unknown(self, request: web.Request) -> web.Response:
        self._record(request, "", {}, 404, "Not Found")
        return web.json_response(error_body(404, "Not Found"), status=404)

    def _record(
        self, request: web.Request, name: str, params: JSON, status: int, description: str | None
    ) -> None:
        now = time.monotonic()
        self.requests.append(
            BotRequest(request.method, name, request.content_type, params, status, description, now)
        )
        self._bump()

    async def _webhook_loop(self) -> None:
        while True:
            self._webhook_kick.clear()
            update = next((u for u in self._queue if u["update_id"] not in self._given_up), None)
            if update is None or not self.webhook_url:
                await self._webhook_kick.wait()
                continue
            await self._deliver(update)

    async def _deliver(self, update: JSON) -> None:
        for attempt in range(self.webhook_max_attempts):
            if not self.webhook_url:
                return
            if attempt:
                await asyncio.sleep(self.webhook_retry_delay)
            result = await self._post_update(update)
            if result.status is not None and 200 <= result.status < 300:
                self._queue = [u for u in self._queue if u is not update]
                return
        # Telegram would keep trying; the update stays pending for getUpdates after deleteWebhook.
        self._given_up.add(update["update_id"])

    async def _post_update(self, update: JSON) -> WebhookAttempt:
        assert self._client is not None
        url = self.webhook_url
        headers = {"Content-Type": "application/json"}
        if self.webhook_secret:
            headers[SECRET_HEADER] = self.webhook_secret
        status: int | None = None
        error: str | None = None
        try:
            limit = aiohttp.ClientTimeout(total=self.webhook_timeout)
            body = json.dumps(update, ensure_ascii=False).encode()
            async with self._client.post(url, data=body, headers=headers, timeout=limit) as resp:
                status = resp.status
                if not 200 <= status < 300:
                    error = f"Wrong response from the webhook: {status} {resp.reason}"
        except TimeoutError:
            error = "Read timeout expired"
        except (aiohttp.ClientError, OSError, ValueError) as exc:
            error = f"Connection failed: {type(exc).__name__}"
        if error is not None:
            self._last_webhook_error = (int(time.time()), error)
        attempt = WebhookAttempt(update["update_id"], url, status, error, headers, time.monotonic())
        self.webhook_attempts.append(attempt)
        self._bump()
        return attempt
