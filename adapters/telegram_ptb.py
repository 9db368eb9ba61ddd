"""Telegram on python-telegram-bot (CH-3): the alternative to ``adapters/telegram.py``,
behind the same ``TelegramClient`` contract and tested by the same suite."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from collections.abc import Awaitable, Sequence
from typing import Any, TypeVar
from urllib.parse import urlencode

import httpx
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    Message,
    ReplyParameters,
    Update,
)
from telegram import error as ptb
from telegram.request import HTTPXRequest

from adapters.telegram_common import (
    ALLOWED_UPDATES,
    FILE_METHODS,
    UNANSWERED,
    FileUpload,
    TelegramConflictError,
    TelegramError,
    bot_id_of,
    chat_id_of,
    message_ref,
    redact,
    reply_target,
)
from adapters.telegram_update import check_update, readable

log = logging.getLogger(__name__)

# PTB 22 warns (PTBDeprecationWarning) inside RetryAfter's constructor unless the process
# opts in to timedelta time periods; under `-W error` a 429 would surface as that warning.
os.environ.setdefault("PTB_TIMEDELTA", "true")

T = TypeVar("T")

POLL_GRACE = 10.0
"""Seconds a long poll's HTTP read may outlast the server-side wait."""
POOL_SIZE = 100
CALL_TIMEOUT = 20.0
"""Seconds to wait for a Bot API call's answer (a send's, a file's), as long as the
runtime waits for any channel's call; ptb's own default, 5 s, failed sends that Telegram
answered slowly (and a send with no answer is not made again)."""
"""Connections in the one pool (aiogram's default); PTB 21 defaulted to 1, which a parked long
poll would hold while every send waited for it."""
_PTB_DEFAULT_FLAGS = (
    "delete_chat_photo",
    "group_chat_created",
    "supergroup_chat_created",
    "channel_chat_created",
)
"""Message flags PTB fills in as ``False``; the Bot API only ever sends them as ``true``."""
_TOKEN_LOGGERS = ("telegram.Bot", "httpx")
"""PTB logs its API URL (token included) at debug; httpx logs every request URL at info."""


class PTBClient:
    """``TelegramClient`` on python-telegram-bot: one ``telegram.Bot`` over one
    ``HTTPXRequest`` (one httpx pool, for long polls and sends alike) from ``start()`` to
    ``close()``, pointed at ``api_base``."""

    def __init__(self, token: str, api_base: str) -> None:
        self.bot_id = bot_id_of(token)
        self._token = token
        self._api_base = api_base.rstrip("/")
        self._bot: Bot | None = None
        self._request: HTTPXRequest | None = None
        self._redactor = _TokenRedactor(token)
        self._username: str | None = None

    async def start(self) -> None:
        """Open the adapter's one HTTP pool. ``Bot.initialize()`` is not called: it would make
        a getMe call and, for a rejected token, put the token in its exception's message."""
        if self._bot is not None:
            return
        for name in _TOKEN_LOGGERS:
            logging.getLogger(name).addFilter(self._redactor)
        # A line per call (httpx at info), and PTB's error with a traceback for an answer it
        # cannot read, which it raises to us too: the bot's own lines say what failed, once.
        logging.getLogger("httpx").setLevel(logging.WARNING)
        logging.getLogger("telegram.request").setLevel(logging.CRITICAL)
        request = HTTPXRequest(
            connection_pool_size=POOL_SIZE,
            read_timeout=CALL_TIMEOUT,
            write_timeout=CALL_TIMEOUT,
            media_write_timeout=CALL_TIMEOUT,
        )
        await request.initialize()
        self._request = request
        self._bot = Bot(
            self._token,
            base_url=f"{self._api_base}/bot",
            base_file_url=f"{self._api_base}/file/bot",
            request=request,
            get_updates_request=request,
        )

    async def close(self) -> None:
        """Close the HTTP pool; the client can be started again afterwards."""
        request, self._request, self._bot = self._request, None, None
        if request is not None:
            await request.shutdown()
        for name in _TOKEN_LOGGERS:
            logging.getLogger(name).removeFilter(self._redactor)

    async def username(self) -> str:
        """The bot's @username, without the @: asked with getMe once, then kept."""
        if self._username is None:
            me = await self._call("getMe", self._started().get_me())
            self._username = me.username or ""
        return self._username

    async def get_updates(self, offset: int, timeout: float) -> list[dict[str, Any]]:
        """Long-poll for up to ``timeout`` seconds; ``offset`` confirms earlier updates."""
        # As JSON: PTB reads a whole answer or none of it, and one update it cannot read
        # would be fetched again by every poll.
        query = urlencode(
            {
                "offset": offset,
                "timeout": int(timeout),
                "allowed_updates": json.dumps(ALLOWED_UPDATES),
            }
        )
        self._started()
        assert self._request is not None
        updates = await self._call(
            "getUpdates",
            self._request.post(
                f"{self._api_base}/bot{self._token}/getUpdates?{query}",
                read_timeout=int(timeout) + POLL_GRACE,
            ),
        )
        return readable(updates if isinstance(updates, list) else [], self.validate)

    def validate(self, update: Any) -> dict[str, Any]:
        """An update read through PTB's ``Update``, back as Bot API JSON. PTB checks that
        required fields are there, not their types: ``check_update`` checks those we read
        first. One whose other fields PTB cannot read is taken as it came. ValueError for
        an update we cannot read."""
        checked = check_update(update)
        try:
            return _plain(Update.de_json(dict(checked), self._bot))
        except (TypeError, KeyError, AttributeError, ValueError, OverflowError, OSError) as exc:
            log.info(
                "Telegram update %s: PTB cannot read it (%s), though the fields we use are "
                "right; taken as it came",
                checked["update_id"],
                type(exc).__name__,
            )
            return checked

    async def set_webhook(self, url: str, secret: str) -> None:
        """Have Telegram POST updates to ``url`` with ``secret`` in its secret-token header."""
        await self._call(
            "setWebhook",
            self._started().set_webhook(
                url=url, secret_token=secret, allowed_updates=ALLOWED_UPDATES
            ),
        )

    async def delete_webhook(self) -> None:
        """Remove the webhook (pending updates are kept), so that polling works again."""
        await self._call(
            "deleteWebhook", self._started().delete_webhook(drop_pending_updates=False)
        )

    async def send_text(
        self, chat_id: str, text: str, buttons: Sequence[str] = (), reply_to: str = ""
    ) -> str:
        """Send plain text; the sent message's provider id, ``<chat>:<message_id>``."""
        markup = None
        if buttons:
            markup = InlineKeyboardMarkup(
                [
                    [InlineKeyboardButton(label, callback_data=f"b:{index}")]
                    for index, label in enumerate(buttons)
                ]
            )
        reply = None
        if reply_to:
            reply_chat, message_id = reply_target(reply_to)
            same_chat = reply_chat in ("", chat_id)
            reply = ReplyParameters(
                message_id,
                chat_id=None if same_chat else chat_id_of(reply_chat),
                allow_sending_without_reply=True if same_chat else None,
            )
        message = await self._call(
            "sendMessage",
            self._started().send_message(
                chat_id=chat_id_of(chat_id),
                text=text,
                parse_mode=None,  # never Markdown or HTML: a customer's text cannot inject markup
                reply_markup=markup,
                reply_parameters=reply,
            ),
            once=True,
        )
        return _sent_ref("sendMessage", message)

    async def send_file(
        self, chat_id: str, kind: str, file: str | FileUpload, caption: str = ""
    ) -> str:
        """Send a file as its kind; the sent message's provider id, ``<chat>:<message_id>``."""
        method, parameter = FILE_METHODS[kind]
        source: str | InputFile = (
            file if isinstance(file, str) else InputFile(file.data, filename=file.filename)
        )
        send = getattr(self._started(), f"send_{parameter}")
        message = await self._call(
            method,
            send(chat_id_of(chat_id), source, caption=caption or None, parse_mode=None),
            once=True,
        )
        return _sent_ref(method, message)

    async def answer_callback(self, callback_id: str) -> None:
        """Stop the pressed button's spinner in the customer's app."""
        await self._call("answerCallbackQuery", self._started().answer_callback_query(callback_id))

    async def send_typing(self, chat_id: str) -> None:
        await self._call(
            "sendChatAction",
            self._started().send_chat_action(chat_id=chat_id_of(chat_id), action="typing"),
        )

    def _started(self) -> Bot:
        if self._bot is None:
            raise TelegramError("the Telegram client is not started")
        return self._bot

    async def _call(self, method: str, call: Awaitable[T], *, once: bool = False) -> T:
        """``call``'s answer, or its failure as TelegramError. ``once``: a send, not to be
        made again when it may have reached Telegram."""
        try:
            return await call
        except ptb.TelegramError as exc:
            error = self._translate(method, exc)
            if once and error.retryable and _maybe_sent(exc):
                error = TelegramError(f"Telegram {method}: {error}; {UNANSWERED}")
        except (KeyError, TypeError, ValueError) as exc:
            # Telegram answered ok, with what PTB's types cannot read (a field they miss):
            # the call was made, and a send is not made again.
            error = TelegramError(
                f"Telegram {method}: Telegram answered, but PTB could not read its answer "
                f"({type(exc).__name__}); not sent again"
            )
        # Raised outside the except block, so PTB's exception (and the httpx error behind a
        # network failure, whose request names the URL with the token) is not chained (REL-5).
        raise error

    def _translate(self, method: str, exc: ptb.TelegramError) -> TelegramError:
        description = redact(exc.message, self._token)
        if isinstance(exc, ptb.Conflict):
            return TelegramConflictError(f"Telegram {method} 409: {description}")
        if isinstance(exc, ptb.RetryAfter):
            seconds = _seconds(exc.retry_after)
            return TelegramError(
                f"Telegram {method} 429: retry after {seconds:g}s",
                retryable=True,
                retry_after=seconds,
            )
        if isinstance(exc, ptb.ChatMigrated):
            moved_to = str(exc.new_chat_id)
            return TelegramError(
                f"Telegram {method} refused: {description}", moved_to=moved_to, code="400"
            )
        # Checked before NetworkError, of which BadRequest is a subclass. PTB keeps no
        # status: its class says it (InvalidToken is 401, or 404 for a token never valid).
        if isinstance(exc, ptb.BadRequest | ptb.Forbidden | ptb.InvalidToken):
            code = "403" if isinstance(exc, ptb.Forbidden) else "400"
            code = "401" if isinstance(exc, ptb.InvalidToken) else code
            return TelegramError(f"Telegram {method} refused: {description}", code=code)
        if isinstance(exc, ptb.NetworkError):  # TimedOut, 5xx, connection failures
            unsent = isinstance(
                exc.__cause__, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout
            )
            return TelegramError(
                f"Telegram {method} failed: {description}", retryable=True, unsent=unsent
            )
        return TelegramError(f"Telegram {method} refused: {description}")


def _sent_ref(method: str, message: Message) -> str:
    """The sent ``message``'s ``<chat>:<message_id>``; TelegramError when Telegram's ``ok``
    came with something else (``"result": true``), which PTB hands on as it came."""
    if not isinstance(message, Message):
        raise TelegramError(
            f"Telegram {method}: Telegram answered, but PTB could not read its answer "
            f"(a {type(message).__name__}, not a message); not sent again"
        )
    return message_ref(message.chat.id, message.message_id)


def _maybe_sent(exc: ptb.TelegramError) -> bool:
    """Whether a failed call may have reached Telegram: a network failure other than in
    making the connection or waiting for one (an answered 5xx carries no httpx cause, or
    the failure to read its page)."""
    cause = exc.__cause__
    # An answer PTB could not read as JSON (the proxy's page of a 502) is an answer too.
    if (
        not isinstance(exc, ptb.NetworkError)
        or cause is None
        or isinstance(cause, ptb.TelegramError)
    ):
        return False
    return not isinstance(cause, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)


class _TokenRedactor(logging.Filter):
    """Rewrites log records that would print the bot token."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self._token = token

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message, self._token)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def _plain(update: Update) -> dict[str, Any]:
    """The update as the Bot API's JSON: PTB's enums as strings, its invented flags gone."""
    data: dict[str, Any] = json.loads(update.to_json())
    for key in ("message", "edited_message"):
        _drop_default_flags(data.get(key))
    query = data.get("callback_query")
    if isinstance(query, dict):
        _drop_default_flags(query.get("message"))
    return data


def _drop_default_flags(message: Any) -> None:
    if not isinstance(message, dict):
        return
    for flag in _PTB_DEFAULT_FLAGS:
        if message.get(flag) is False:
            del message[flag]
    for nested in ("reply_to_message", "pinned_message"):
        _drop_default_flags(message.get(nested))


def _seconds(value: int | float | dt.timedelta) -> float:
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)
