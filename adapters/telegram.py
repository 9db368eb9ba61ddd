"""Telegram on aiogram 3 (CH-3): long polling, webhook registration and plain-text sends,
through one aiohttp session against a configurable Bot API base URL."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Sequence
from typing import Any, TypeVar

import aiohttp
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    AiogramError,
    ClientDecodeError,
    TelegramBadRequest,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.exceptions import TelegramConflictError as AiogramConflictError
from aiogram.methods import GetUpdates
from aiogram.types import (
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    ReplyParameters,
    Update,
)
from pydantic import ValidationError
from pydantic_core import PydanticSerializationError

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

T = TypeVar("T")

POLL_GRACE = 10
"""Seconds a long poll's HTTP request may outlast the server-side wait."""


class AiogramClient:
    """``TelegramClient`` on aiogram 3: one ``Bot`` and one aiohttp session from ``start()``
    to ``close()``, pointed at ``api_base`` (``https://api.telegram.org`` or an emulator)."""

    def __init__(self, token: str, api_base: str) -> None:
        self.bot_id = bot_id_of(token)
        self._token = token
        self._api = TelegramAPIServer.from_base(api_base)
        self._bot: Bot | None = None

    async def start(self) -> None:
        """Open the adapter's one HTTP session; no call is made (the id is in the token)."""
        if self._bot is not None:
            return
        session = AiohttpSession(api=self._api)
        await session.create_session()
        self._bot = Bot(self._token, session=session)

    async def close(self) -> None:
        """Close the session; the client can be started again afterwards."""
        bot, self._bot = self._bot, None
        if bot is not None:
            await bot.session.close()

    async def username(self) -> str:
        """The bot's @username, without the @: aiogram asks getMe once and keeps it."""
        me = await self._call("getMe", self._started().me())
        return me.username or ""

    async def get_updates(self, offset: int, timeout: float) -> list[dict[str, Any]]:
        """Long-poll for up to ``timeout`` seconds; ``offset`` confirms earlier updates."""
        # As JSON: aiogram reads a whole answer or none of it, and one update it cannot
        # read would be fetched again by every poll.
        updates = await self._call(
            "getUpdates",
            self._started()(
                _RawUpdates(offset=offset, timeout=int(timeout), allowed_updates=ALLOWED_UPDATES),
                request_timeout=int(timeout) + POLL_GRACE,
            ),
        )
        return readable(updates, self.validate)

    def validate(self, update: Any) -> dict[str, Any]:
        """An update read through aiogram's ``Update`` model, back as Bot API JSON; one whose
        fields we read are right (``check_update``) but others not as aiogram's model has
        them is taken as it came. ValueError for an update we cannot read."""
        checked = check_update(update)
        try:
            read = Update.model_validate(checked)
        except ValidationError as exc:
            log.info(
                "Telegram update %s: aiogram cannot read %d of its fields, none of those we "
                "use; taken as it came",
                checked["update_id"],
                exc.error_count(),
            )
            return checked
        try:
            return _plain(read)
        except PydanticSerializationError:
            # aiogram fills the fields Telegram left out of some objects (a message's
            # link_preview_options) with its Default placeholders, which it cannot write
            # back as JSON: the update is taken as it came.
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
                inline_keyboard=[
                    [InlineKeyboardButton(text=label, callback_data=f"b:{index}")]
                    for index, label in enumerate(buttons)
                ]
            )
        reply = None
        if reply_to:
            reply_chat, message_id = reply_target(reply_to)
            same_chat = reply_chat in ("", chat_id)
            reply = ReplyParameters(
                message_id=message_id,
                chat_id=None if same_chat else chat_id_of(reply_chat),
                allow_sending_without_reply=True if same_chat else None,
            )
        return await self._send(
            "sendMessage",
            self._started().send_message(
                chat_id=chat_id_of(chat_id),
                text=text,
                parse_mode=None,  # never Markdown or HTML: a customer's text cannot inject markup
                reply_markup=markup,
                reply_parameters=reply,
            ),
        )

    async def send_file(
        self, chat_id: str, kind: str, file: str | FileUpload, caption: str = ""
    ) -> str:
        """Send a file as its kind; the sent message's provider id, ``<chat>:<message_id>``."""
        method, parameter = FILE_METHODS[kind]
        source = file if isinstance(file, str) else BufferedInputFile(file.data, file.filename)
        send = getattr(self._started(), f"send_{parameter}")
        return await self._send(
            method,
            send(
                chat_id=chat_id_of(chat_id),
                **{parameter: source},
                caption=caption or None,
                parse_mode=None,
            ),
        )

    async def answer_callback(self, callback_id: str) -> None:
        """Stop the pressed button's spinner in the customer's app."""
        await self._call(
            "answerCallbackQuery",
            self._started().answer_callback_query(callback_query_id=callback_id),
        )

    async def send_typing(self, chat_id: str) -> None:
        await self._call(
            "sendChatAction",
            self._started().send_chat_action(chat_id=chat_id_of(chat_id), action="typing"),
        )

    def _started(self) -> Bot:
        if self._bot is None:
            raise TelegramError("the Telegram client is not started")
        return self._bot

    async def _send(self, method: str, call: Awaitable[Message]) -> str:
        """Send once: the sent message's provider id, ``<chat>:<message_id>``. A message
        Telegram took whose answer aiogram's types cannot read (a field they do not know
        yet, one they miss) was sent: it is read as far as its ids, and not sent again."""
        try:
            message = await self._call(method, call, once=True)
        except _TakenError as taken:
            log.warning("Telegram %s took the message; its answer was read for ids alone", method)
            return taken.ref
        return message_ref(message.chat.id, message.message_id)

    async def _call(self, method: str, call: Awaitable[T], *, once: bool = False) -> T:
        """``call``'s answer, or its failure as TelegramError. ``once``: a send, not to be
        made again when it may have reached Telegram."""
        try:
            return await call
        except AiogramError as exc:
            taken = _taken(exc) if once else None
            if taken is not None:
                raise _TakenError(taken) from None
            if once and _answered_ok(exc):
                # Telegram took the call, and said so in a shape aiogram cannot read (no
                # message where one is due): made once, as any send it answered.
                raise TelegramError(
                    f"Telegram {method}: Telegram answered ok, but aiogram could not read "
                    "its answer; not sent again"
                ) from None
            error = self._translate(method, exc)
            if once and error.retryable and _maybe_sent(exc):
                error = TelegramError(f"Telegram {method}: {error}; {UNANSWERED}")
        # Raised outside the except block, so the framework's exception is not chained: its
        # cause can be an aiohttp error whose URL carries the token (REL-5).
        raise error

    def _translate(self, method: str, exc: AiogramError) -> TelegramError:
        description = redact(str(getattr(exc, "message", exc)), self._token)
        if isinstance(exc, AiogramConflictError):
            return TelegramConflictError(f"Telegram {method} 409: {description}")
        if isinstance(exc, TelegramRetryAfter):
            return TelegramError(
                f"Telegram {method} 429: retry after {exc.retry_after}s",
                retryable=True,
                retry_after=float(exc.retry_after),
            )
        # TelegramEntityTooLarge (413) is a TelegramNetworkError, but resending cannot help.
        if isinstance(exc, TelegramEntityTooLarge):
            return TelegramError(f"Telegram {method} refused: {description}", code="413")
        if isinstance(exc, TelegramServerError | TelegramNetworkError | ClientDecodeError):
            unsent = isinstance(exc, TelegramNetworkError) and isinstance(
                exc.__cause__, aiohttp.ClientConnectorError
            )
            return TelegramError(
                f"Telegram {method} failed: {description}", retryable=True, unsent=unsent
            )
        if isinstance(exc, TelegramMigrateToChat):
            moved_to = str(exc.migrate_to_chat_id)
            return TelegramError(
                f"Telegram {method} refused: {description}", moved_to=moved_to, code="400"
            )
        # TelegramBadRequest, NotFound, Unauthorized, Forbidden and the rest
        code = next((code for kind, code in _REFUSALS if isinstance(exc, kind)), "")
        return TelegramError(f"Telegram {method} refused: {description}", code=code)


_REFUSALS = (
    (TelegramBadRequest, "400"),
    (TelegramUnauthorizedError, "401"),
    (TelegramForbiddenError, "403"),
    (TelegramNotFound, "404"),
)
"""The Bot API's ``error_code`` of each refusal aiogram raises as a class of its own."""


class _TakenError(Exception):
    """A send Telegram took (``ok``) whose answer the framework could not read."""

    def __init__(self, ref: str) -> None:
        super().__init__(ref)
        self.ref = ref


def _taken(exc: AiogramError) -> str | None:
    """The sent message's ``<chat>:<message_id>`` when ``exc`` is an answer of Telegram's
    that says it took the call (``ok``, with the message's ids) but that aiogram could
    not read; None for any other failure."""
    data = getattr(exc, "data", None) if isinstance(exc, ClientDecodeError) else None
    result = data.get("result") if isinstance(data, dict) and data.get("ok") is True else None
    chat = result.get("chat") if isinstance(result, dict) else None
    message_id = result.get("message_id") if isinstance(result, dict) else None
    chat_id = chat.get("id") if isinstance(chat, dict) else None
    if type(message_id) is not int or type(chat_id) is not int:
        return None
    return message_ref(chat_id, message_id)


def _answered_ok(exc: AiogramError) -> bool:
    """Whether ``exc`` is an answer of Telegram's that says ``ok`` but that aiogram could
    not read."""
    data = getattr(exc, "data", None) if isinstance(exc, ClientDecodeError) else None
    return isinstance(data, dict) and data.get("ok") is True


def _maybe_sent(exc: AiogramError) -> bool:
    """Whether a failed call may have reached Telegram: no answer came, and the failure
    was not in making the connection."""
    return isinstance(exc, TelegramNetworkError) and not isinstance(
        exc.__cause__, aiohttp.ClientConnectorError
    )


class _RawUpdates(GetUpdates):
    """getUpdates, answered as the Bot API's JSON."""

    __returning__ = list[dict[str, Any]]


def _plain(update: Update) -> dict[str, Any]:
    # by_alias gives the Bot API's names ("from", not aiogram's "from_user").
    return update.model_dump(mode="json", exclude_none=True, by_alias=True)
