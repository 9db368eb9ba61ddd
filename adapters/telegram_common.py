"""What both Telegram adapters share: the channel contract, its errors, and the mapping
of a Bot API update (as plain JSON, after the framework has validated it) to ``Inbound``.

``adapters/telegram.py`` (aiogram 3) and ``adapters/telegram_ptb.py``
(python-telegram-bot) implement ``TelegramClient``; one contract suite tests both.
"""

from __future__ import annotations

import hashlib
import math
import re
import time
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple, Protocol

from adapters.files import shown_filename
from bot.model import (
    ContactCard,
    ContactPhone,
    Identity,
    Inbound,
    Location,
    Media,
    MessageKind,
    display_name,
)

MAX_TEXT = 4096
"""Telegram's limit for one message's text."""
MAX_FILENAME = 255
MAX_FIELD = 1024
"""A venue's title or address, a shared contact's name or phone: cut there, so that a
message's event stays a few kB."""
CONTENT_FIELDS = (
    "sticker",
    "voice",
    "video",
    "audio",
    "location",
    "video_note",
    "animation",
    "poll",
    "dice",
    "game",
    "venue",
    "story",
    "paid_media",
    "invoice",
    "successful_payment",
    "giveaway",
    "giveaway_winners",
    "checklist",
    "web_app_data",
    "users_shared",
    "chat_shared",
    "passport_data",
    "gift",
    "unique_gift",
    "connected_website",
)
"""The Bot API's fields of a message's content, which name its kind (the first found)."""
ENVELOPE_FIELDS = frozenset(
    {
        "message_id",
        "message_thread_id",
        "direct_messages_topic",
        "from",
        "sender_chat",
        "sender_boost_count",
        "sender_business_bot",
        "date",
        "business_connection_id",
        "chat",
        "forward_origin",
        "forward_from",
        "forward_from_chat",
        "forward_from_message_id",
        "forward_signature",
        "forward_sender_name",
        "forward_date",
        "is_topic_message",
        "is_automatic_forward",
        "reply_to_message",
        "external_reply",
        "quote",
        "reply_to_story",
        "reply_to_checklist_task_id",
        "via_bot",
        "edit_date",
        "has_protected_content",
        "is_from_offline",
        "is_paid_post",
        "paid_star_count",
        "media_group_id",
        "author_signature",
        "text",
        "entities",
        "link_preview_options",
        "suggested_post_info",
        "effect_id",
        "caption",
        "caption_entities",
        "show_caption_above_media",
        "has_media_spoiler",
        "reply_markup",
    }
)
"""The Bot API's fields of a message that say who sent it, where, when and how, not what
it holds: a kind CONTENT_FIELDS does not know yet (Telegram adds some in most versions)
is named by the first field that is none of these."""
_FIELD_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")
_FILES: dict[str, MessageKind] = {
    "document": "document",
    "voice": "audio",
    "audio": "audio",
    "video": "video",
    "video_note": "video",
    "sticker": "sticker",
}
"""A message's file by its field, and the kind of message it makes."""
_FILE_ID = re.compile(r"[A-Za-z0-9_-]{1,256}")


def file_ref(file_id: object) -> str:
    """The ``GET /v1/media/{ref}`` of a file Telegram holds: ``tg_<file_id>``."""
    return f"tg_{file_id}" if isinstance(file_id, str) and _FILE_ID.fullmatch(file_id) else ""


ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "my_chat_member"]
"""The update kinds ``inbound_from_update`` and ``block_change`` read; Telegram holds back
the rest."""


BLOCKED = "403"
"""The Bot API's ``error_code`` for a send to a user who blocked the bot ("Forbidden: bot
was blocked by the user") or whose account is gone."""


class TelegramError(Exception):
    """A Bot API call failed; ``retryable`` says whether trying again may work."""

    def __init__(
        self,
        message: str,
        *,
        retryable: bool = False,
        retry_after: float | None = None,
        moved_to: str = "",
        unsent: bool = False,
        code: str = "",
    ):
        super().__init__(message)
        self.code = code
        """The Bot API's ``error_code`` of a refusal (``403``: the user blocked the bot)."""
        self.retryable = retryable
        self.retry_after = retry_after
        self.moved_to = moved_to
        """The chat's new id, when it was refused as a group that became a supergroup."""
        self.unsent = unsent
        """No connection to the Bot API could be made: the call surely did not reach it."""


UNANSWERED = "no answer came, so whether the message went out is unknown: not sent again"
"""A send made and never answered (late, or its connection broken): Telegram may have
taken it, and the Bot API has no idempotency key (REL-3)."""


class TelegramConflictError(TelegramError):
    """409: another process polls this token, or a webhook is set (CH-3)."""

    @property
    def webhook_set(self) -> bool:
        """The 409 is Telegram's "can't use getUpdates method while webhook is active"."""
        return "webhook is active" in str(self)


class TelegramClient(Protocol):
    """One bot token's connection to the Bot API, with one HTTP session from start to
    close. Methods raise TelegramError (TelegramConflictError for a 409)."""

    bot_id: str
    """The bot's id: the digits before the token's colon; no call needed."""

    async def start(self) -> None: ...
    async def close(self) -> None: ...

    async def username(self) -> str:
        """The bot's @username, without the @: asked with getMe once, then kept."""
        ...

    async def get_updates(self, offset: int, timeout: float) -> list[dict[str, Any]]:
        """Long-poll; each update as the plain JSON the Bot API sent."""
        ...

    def validate(self, update: Mapping[str, Any]) -> dict[str, Any]:
        """An update received on the webhook, read through the framework's own model;
        ValueError when it is not an update."""
        ...

    async def set_webhook(self, url: str, secret: str) -> None: ...
    async def delete_webhook(self) -> None: ...

    async def send_text(
        self, chat_id: str, text: str, buttons: Sequence[str] = (), reply_to: str = ""
    ) -> str:
        """Send ``text`` (plain, never parsed as Markdown or HTML) with the buttons as an
        inline keyboard (``callback_data`` ``b:<index>``); the sent message's id."""
        ...

    async def send_file(
        self, chat_id: str, kind: str, file: str | FileUpload, caption: str = ""
    ) -> str:
        """An image, document, audio or video as Telegram's own (sendPhoto, sendDocument,
        sendAudio, sendVideo): by URL, which Telegram fetches, or uploaded; the caption
        plain. The sent message's id."""
        ...

    async def answer_callback(self, callback_id: str) -> None: ...

    async def send_typing(self, chat_id: str) -> None:
        """``sendChatAction`` ``typing``: the chat shows the bot typing for about 5 seconds."""
        ...


class FileUpload(NamedTuple):
    """A file's bytes to upload with a send (multipart/form-data)."""

    data: bytes
    filename: str


FILE_METHODS = {
    "image": ("sendPhoto", "photo"),
    "document": ("sendDocument", "document"),
    "audio": ("sendAudio", "audio"),
    "video": ("sendVideo", "video"),
}
"""Each kind of file: the Bot API method that sends it and that method's file parameter."""


def bot_id_of(token: str) -> str:
    bot_id, sep, _ = token.partition(":")
    if not sep or not bot_id.isdigit():
        raise ValueError("a Telegram bot token looks like 123456:ABC-...")
    return bot_id


def chat_id_of(chat_id: str) -> int | str:
    """A numeric chat id as the integer the Bot API documents; ``@channel`` names as is."""
    return int(chat_id) if chat_id.lstrip("-").isdigit() else chat_id


PRIVATE = "p"
"""What a private chat's part of a message's provider id starts with (``message_ref``)."""


def message_ref(chat: object, message_id: object) -> str:
    """A Telegram message's provider id, ``<chat>:<message_id>``: the timeline's id of the
    message, its dedupe key, what a reply names. A private chat's id is its user's
    Telegram id, which an erasure must not leave behind in what it keeps of the messages
    (PS-7): it stands as a digest there, as a web visitor's id does in theirs. A group's
    (negative) id is kept: the team chat's posts are found by it."""
    text = str(chat)
    if text.isdigit():
        text = PRIVATE + hashlib.blake2b(text.encode(), digest_size=10).hexdigest()
    return f"{text}:{message_id}"


def reply_target(reply_to: str) -> tuple[str, int]:
    """``<chat>:<message_id>`` (a ``message_ref``) split into the chat and the message id;
    the chat is '' for a private chat's, which a reply is always sent in."""
    chat, _, message_id = reply_to.rpartition(":")
    # The Bot API's message_id is any integer: one below 1 names no message, and Telegram
    # posts the reply on its own (allow_sending_without_reply), as for a deleted one.
    if not chat or not message_id.removeprefix("-").isdigit():
        raise TelegramError(f"reply_to must be '<chat>:<message_id>', not {reply_to!r}")
    return ("" if chat.startswith(PRIVATE) else chat), int(message_id)


def redact(text: str, token: str) -> str:
    """``text`` without the bot token, which frameworks put in URLs and errors (REL-5)."""
    secret = token.partition(":")[2]
    return text.replace(token, "<token>").replace(secret, "<token>") if secret else text


def _name(user: Mapping[str, Any]) -> str:
    given = " ".join(str(user.get(key) or "") for key in ("first_name", "last_name"))
    return display_name(given) or display_name(user.get("username"))


def _button_label(message: Mapping[str, Any], data: str) -> str:
    """The text of the pressed button, read from the message that carried the keyboard."""
    for row in (message.get("reply_markup") or {}).get("inline_keyboard") or []:
        for button in row:
            if button.get("callback_data") == data:
                return str(button.get("text", ""))
    return ""


SERVICE_FIELDS = frozenset(
    {
        "new_chat_members",
        "left_chat_member",
        "new_chat_title",
        "new_chat_photo",
        "delete_chat_photo",
        "group_chat_created",
        "supergroup_chat_created",
        "channel_chat_created",
        "message_auto_delete_timer_changed",
        "migrate_to_chat_id",
        "migrate_from_chat_id",
        "pinned_message",
        "forum_topic_created",
        "forum_topic_edited",
        "forum_topic_closed",
        "forum_topic_reopened",
        "general_forum_topic_hidden",
        "general_forum_topic_unhidden",
        "video_chat_scheduled",
        "video_chat_started",
        "video_chat_ended",
        "video_chat_participants_invited",
        "write_access_allowed",
        "proximity_alert_triggered",
        "boost_added",
        "chat_background_set",
    }
)
"""The fields of a Bot API service message: something happened in the chat (a member
joined, the group became a supergroup, a message was pinned), which nobody wrote."""


def chat_move(update: Mapping[str, Any]) -> tuple[str, str] | None:
    """(the old id, the new) when ``update`` says a group became a supergroup: Telegram
    posts ``migrate_to_chat_id`` in the group and ``migrate_from_chat_id`` in the new
    supergroup; None for any other update."""
    message = update.get("message")
    chat = message.get("chat") if isinstance(message, Mapping) else None
    here = chat.get("id") if isinstance(chat, Mapping) else None
    if not _integer(here) or not isinstance(message, Mapping):
        return None
    to, came_from = message.get("migrate_to_chat_id"), message.get("migrate_from_chat_id")
    if _integer(to):
        return str(here), str(to)
    if _integer(came_from):
        return str(came_from), str(here)
    return None


class BlockChange(NamedTuple):
    """A customer blocked the bot (or unblocked it) in their private chat, ``at``."""

    user: str
    blocked: bool
    at: float


def block_change(update: Mapping[str, Any]) -> BlockChange | None:
    """Who blocked or unblocked the bot, from a ``my_chat_member`` update of a private
    chat: Telegram names the bot's new status there ``kicked`` when the user blocks it (the
    Bot API refuses every send to them with 403 until they unblock it) and ``member`` when
    they restart it. None for any other update (a group's or a channel's)."""
    change = update.get("my_chat_member")
    if not isinstance(change, Mapping):
        return None
    chat, user, new = change.get("chat"), change.get("from"), change.get("new_chat_member")
    if not (isinstance(chat, Mapping) and isinstance(user, Mapping) and isinstance(new, Mapping)):
        return None
    if chat.get("type") != "private" or not _a_user_id(user.get("id")):
        return None
    if chat.get("id") != user["id"] or new.get("status") not in ("kicked", "member"):
        return None
    return BlockChange(str(user["id"]), new["status"] == "kicked", _dated(change.get("date")))


def _integer(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _sent_by(message: Mapping[str, Any], bot_id: str) -> bool:
    sender = message.get("from")
    return isinstance(sender, Mapping) and str(sender.get("id")) == bot_id


def inbound_from_update(update: Mapping[str, Any], bot_id: str) -> list[Inbound]:
    """The customer or team messages an update carries (none for kinds we do not take).

    Provider ids are ``<chat>:<message_id>``, which a re-sent update repeats, so the
    ingest dedupe drops it (CH-7); a button press is ``cb:<id>``, an edit
    ``<chat>:<message_id>:edit:<update_id>``.
    """
    number = f"tg:{bot_id}"
    if "callback_query" in update:
        return [_button_press(update["callback_query"], number)]
    edited = "edited_message" in update
    message = update.get("message") or update.get("edited_message")
    if not message or not isinstance(message.get("from"), Mapping):
        return []  # channel posts (no sender) and other updates carry no customer message
    if SERVICE_FIELDS & message.keys():
        return []  # joins, pins and the like
    user, chat = message["from"], str(message["chat"]["id"])
    if user.get("is_bot") or not _a_user_id(user.get("id")):
        return []  # a user's id is a positive number: anything else is no customer
    content = _content(message, user)
    reply = message.get("reply_to_message")
    provider_id = message_ref(chat, message["message_id"])
    return [
        Inbound(
            channel="telegram",
            number=number,
            provider_id=f"{provider_id}:edit:{update['update_id']}" if edited else provider_id,
            sender=content.identities[0],
            kind=content.kind,
            # An edit is dated when it was made; an edit without that date, when it was sent.
            timestamp=_dated((edited and message.get("edit_date")) or message.get("date")),
            text=content.text[:MAX_TEXT],
            media=content.media,
            name=_name(user),
            identities=content.identities,
            provider_type=_provider_type(message),
            chat=chat,
            reply_to=message_ref(chat, reply["message_id"]) if reply else "",
            reply_to_ours=bool(reply) and _sent_by(reply, bot_id),
            edit_of=provider_id if edited else "",
            # Bot API 7 says so in forward_origin; older versions in forward_date.
            forwarded="forwarded" if {"forward_origin", "forward_date"} & message.keys() else "",
            location=content.location,
            contacts=content.contacts,
        )
    ]


MAX_AGE = 30 * 24 * 3600
"""The oldest date taken as a message's: Telegram keeps an update for 24 hours."""
MAX_AHEAD = 24 * 3600
"""The furthest ahead a date may be: clocks differ, not by days."""


def _dated(date: Any) -> float:
    """A message's date, unix seconds; one that is no time of now (0, the year 2100, not a
    number) dates it as it arrived: it would date its conversation and profile by it."""
    now = time.time()
    if isinstance(date, int | float) and not isinstance(date, bool):
        if math.isfinite(date) and now - MAX_AGE <= date <= now + MAX_AHEAD:
            return float(date)
    return now


def _a_user_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _button_press(query: Mapping[str, Any], number: str) -> Inbound:
    """A press of an inline keyboard's button, read as the label the customer saw."""
    user, message = query["from"], query.get("message") or {}
    data = str(query.get("data") or "")
    chat = str((message.get("chat") or {}).get("id", user["id"]))
    return Inbound(
        channel="telegram",
        number=number,
        provider_id=f"cb:{query['id']}",
        sender=Identity("tg", str(user["id"])),
        kind="button",
        # A press carries no date, and its message's is the question's (0 for one over 48
        # hours old, an InaccessibleMessage): it is dated when it came.
        timestamp=time.time(),
        text=_button_label(message, data),
        payload=data,
        name=_name(user),
        identities=(Identity("tg", str(user["id"])),),
        chat=chat,
        reply_to=message_ref(chat, message["message_id"]) if message else "",
        callback=str(query["id"]),
    )


class _Content(NamedTuple):
    kind: MessageKind
    text: str
    """Untrimmed: the caller cuts it to Telegram's limit."""
    media: Media | None
    identities: tuple[Identity, ...]
    """The sender's own first."""
    location: Location | None = None
    contacts: tuple[ContactCard, ...] = ()


def _content(message: Mapping[str, Any], user: Mapping[str, Any]) -> _Content:
    """What a message says, and the identities it shows of its sender."""
    identities = [Identity("tg", str(user["id"]))]
    kind: MessageKind = "text"
    # Cut as the event's text is: a caption's cut too, where the media keeps it.
    text = str(message.get("text") or message.get("caption") or "")[:MAX_TEXT]
    media = location = None
    cards: tuple[ContactCard, ...] = ()
    contact = message.get("contact")
    if contact:
        kind = "contact"
        # Only a customer's own number stitches; a shared address-book entry does not.
        if str(contact.get("user_id", "")) == str(user["id"]) and contact.get("phone_number"):
            phone = str(contact["phone_number"])
            identities.append(Identity("phone", phone if phone.startswith("+") else "+" + phone))
        text = text or str(contact.get("phone_number", ""))
        cards = (_card(contact),)
    elif location := _location(message):
        kind = "location"
    elif message.get("photo"):
        kind = "image"
        largest = message["photo"][-1]
        media = Media(id=str(largest["file_id"]), caption=text, ref=file_ref(largest["file_id"]))
    elif found := next((name for name in _FILES if message.get(name)), None):
        kind = _FILES[found]
        file = message[found]
        media = Media(
            id=str(file["file_id"]),
            mime_type=str(file.get("mime_type", ""))[:MAX_FILENAME],
            filename=shown_filename(str(file.get("file_name", "")), MAX_FILENAME),
            caption=text,
            ref=file_ref(file["file_id"]),
        )
    elif "text" not in message:
        kind = "unsupported"
    return _Content(kind, text, media, tuple(identities), location, cards)


def _card(contact: Mapping[str, Any]) -> ContactCard:
    """A shared contact as a card: its name and its one phone number."""
    name = " ".join(str(contact.get(key) or "") for key in ("first_name", "last_name")).strip()
    phone = str(contact.get("phone_number") or "")[:MAX_FIELD]
    return ContactCard(name[:MAX_FIELD], (ContactPhone(phone),) if phone else ())


def _location(message: Mapping[str, Any]) -> Location | None:
    """A shared point, or a venue (a named place with its address)."""
    venue = message.get("venue") or {}
    point = message.get("location") or venue.get("location")
    if not isinstance(point, Mapping):
        return None
    try:
        latitude, longitude = float(point["latitude"]), float(point["longitude"])
    except (KeyError, TypeError, ValueError, OverflowError):
        return None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None  # not a place on Earth (NaN is not within any bounds either)
    title, address = str(venue.get("title") or ""), str(venue.get("address") or "")
    return Location(latitude, longitude, title[:MAX_FIELD], address[:MAX_FIELD])


def _provider_type(message: Mapping[str, Any]) -> str:
    """The Telegram kind (a sticker, a voice note, a Mini App's data...) of a message we
    cannot read: a content field this adapter knows, else the first field that is not the
    envelope's; '' when there is none."""
    known = next((key for key in CONTENT_FIELDS if key in message), "")
    return known or next(
        (
            key
            for key in message
            if isinstance(key, str) and key not in ENVELOPE_FIELDS and _FIELD_NAME.fullmatch(key)
        ),
        "",
    )
