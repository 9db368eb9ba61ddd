"""The fields of a Bot API update that ``inbound_from_update`` reads, checked by their types
before either framework reads the update. A framework refuses an update Telegram sends
when a field we never read is not as its model expects (aiogram #1840: a forward from a
hidden user without ``sender_user_name``), or lets a wrong type through (PTB checks only
that required fields are there); here both adapters take or refuse the same updates."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr, ValidationError

from adapters.jsonbody import holds_lone_surrogate

log = logging.getLogger(__name__)

# The Bot API's Integer: no bool, no string of digits, no float; at most 64 bits.
Id = Annotated[int, Field(strict=True, ge=-(2**63), lt=2**63)]
Short = Annotated[str, Field(strict=True, max_length=4096)]
"""A string that is an id or a button's data: Telegram's are short, and an id is a
dedupe key."""
Date = Annotated[int, Field(strict=True, ge=0, lt=2**32)]
"""Unix seconds: before 2106 (a date past what a datetime holds broke PTB)."""


class _Fields(BaseModel):
    """Only the fields named are checked; any other field may hold anything."""

    model_config = ConfigDict(extra="allow", strict=True)


class _User(_Fields):
    id: Id
    is_bot: StrictBool = False
    first_name: StrictStr = ""
    last_name: StrictStr | None = None
    username: StrictStr | None = None


class _Chat(_Fields):
    id: Id


class _File(_Fields):
    file_id: StrictStr
    mime_type: StrictStr | None = None
    file_name: StrictStr | None = None


class _Contact(_Fields):
    phone_number: StrictStr = ""
    first_name: StrictStr = ""
    last_name: StrictStr | None = None
    user_id: Id | None = None


class _Venue(_Fields):
    title: StrictStr = ""
    address: StrictStr = ""
    location: dict[str, Any] | None = None


class _Button(_Fields):
    text: StrictStr = ""
    callback_data: StrictStr | None = None


class _Keyboard(_Fields):
    inline_keyboard: list[list[_Button]] = []


class _Replied(_Fields):
    message_id: Id


class _Message(_Fields):
    message_id: Id
    chat: _Chat
    date: Date
    from_: _User | None = Field(default=None, alias="from")
    edit_date: Date | None = None
    text: StrictStr | None = None
    caption: StrictStr | None = None
    photo: list[_File] | None = None
    document: _File | None = None
    voice: _File | None = None
    audio: _File | None = None
    video: _File | None = None
    contact: _Contact | None = None
    location: dict[str, Any] | None = None
    venue: _Venue | None = None
    reply_to_message: _Replied | None = None
    reply_markup: _Keyboard | None = None


class _Pressed(_Fields):
    """The message a button was on: InaccessibleMessage has its chat, id and a date 0."""

    message_id: Id
    chat: _Chat
    date: Date = 0
    reply_markup: _Keyboard | None = None


class _CallbackQuery(_Fields):
    id: Short
    from_: _User = Field(alias="from")
    message: _Pressed | None = None
    data: Short | None = None


class _Member(_Fields):
    status: Short


class _MemberChanged(_Fields):
    chat: _Chat
    from_: _User = Field(alias="from")
    date: Date
    new_chat_member: _Member


class _Update(_Fields):
    update_id: Id
    message: _Message | None = None
    edited_message: _Message | None = None
    callback_query: _CallbackQuery | None = None
    my_chat_member: _MemberChanged | None = None


def check_update(update: Any) -> dict[str, Any]:
    """``update`` as it came, when every field we read has its Bot API type; ValueError
    naming the first field that has not."""
    if not isinstance(update, Mapping):
        raise ValueError(
            f"not a Telegram update: an update is a JSON object, not {_json_kind(update)}"
        )
    if holds_lone_surrogate(update):  # a webhook's body is refused so before it comes here
        raise ValueError("not a Telegram update: a string holds a lone surrogate, not Unicode")
    try:
        _Update.model_validate(update)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "the update"
        raise ValueError(f"not a Telegram update: {where}: {first['msg'].lower()}") from None
    return dict(update)


def _json_kind(value: Any) -> str:
    """What JSON ``value`` is, with its article: "an array", "a number", "null"."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "an array"


def readable(
    updates: Sequence[Any], validate: Callable[[Any], dict[str, Any]]
) -> list[dict[str, Any]]:
    """The updates a poll fetched, each as ``validate`` reads it. One it refuses is logged
    and kept as its ``update_id`` alone (which carries no message), so that the offset moves
    past it: left on Telegram's queue, it would come first in every poll, and hold back
    every update after it."""
    taken = []
    for update in updates:
        try:
            taken.append(validate(update))
        except ValueError as error:
            number = update.get("update_id") if isinstance(update, Mapping) else None
            log.warning("Telegram update %s cannot be read, and is skipped: %s", number, error)
            if type(number) is int:
                taken.append({"update_id": number})
    return taken
