"""What is written about each item the pipeline takes: its form in the inbound log, in
the conversation's timeline, and in the events the attached services hear."""

from __future__ import annotations

from typing import Any

from bot.core.redaction import without_person
from bot.model import (
    Event,
    Inbound,
    StatusUpdate,
    compact_json,
    derived_id,
    parse_json,
    shallow_dict,
)


def reply_id(message: Inbound, index: int) -> str:
    """Our id of the automation's ``index``-th reply to ``message`` (its send id): the
    same each time the message is redone."""
    return derived_id("snd", message.provider_id, str(index))


def encode_item(item: Inbound | StatusUpdate) -> str:
    kind = "message" if isinstance(item, Inbound) else "status"
    return compact_json({"k": kind, "v": item.to_dict()})


def decode_item(data: str) -> Inbound | StatusUpdate:
    document = parse_json(data)
    if document["k"] == "message":
        return Inbound.from_dict(document["v"])
    return StatusUpdate.from_dict(document["v"])


def inbound_record(message: Inbound, keyword: str | None = None) -> dict[str, Any]:
    """How an inbound message is kept in the timeline and told to services; ``keyword``,
    the opt-out, opt-in or help word the bot took the message for, if any."""
    record: dict[str, Any] = {
        "id": message.provider_id,
        "direction": "inbound",
        "kind": message.kind,
        "text": message.text,
        "timestamp": message.timestamp,
    }
    if message.payload:
        record["payload"] = message.payload
    if message.media:
        record["media"] = shallow_dict(message.media)
    if message.attachments:
        record["attachments"] = [shallow_dict(file) for file in message.attachments]
    if message.location:
        record["location"] = shallow_dict(message.location)
    if message.contacts:
        record["contacts"] = [card.to_dict() for card in message.contacts]
    if message.reaction:
        record["reaction"] = shallow_dict(message.reaction)
    if message.kind == "unsupported":
        record["provider_type"] = message.provider_type
        if message.provider_content:
            record["provider_content"] = parse_json(message.provider_content)
    if message.referral:
        record["referral"] = message.referral
    if message.reply_to:
        record["reply_to"] = message.reply_to
    if message.forwarded:
        record["forwarded"] = message.forwarded
    if message.referred_product:
        record["referred_product"] = message.referred_product
    if keyword:
        record["keyword"] = keyword
    return record


def inbound_event(message: Inbound, record: dict[str, Any], profile: str, at: float = 0.0) -> Event:
    """``message.inbound``: its id derives from the message, and its time is ``at``, when
    the message was taken in, so a redo repeats it whole."""
    return Event.new(
        "message.inbound",
        message.number,
        {
            "conversation_id": message.conversation_id,
            "profile": profile,
            "channel": message.channel,
            "number": message.number,
            "customer": message.sender.key,
            "name": message.name,
            "message": record,
        },
        id=derived_id("evt", message.provider_id, "inbound"),
        at=at,
    )


def status_event(status: StatusUpdate, message_id: str, *, erased: bool = False) -> Event:
    """``message.status`` of our message ``message_id``; its id derives from the status.
    Of a customer ``erased`` since, it is stripped as the events on their way were."""
    data = {
        "conversation_id": status.conversation_id,
        "message_id": message_id,
        "provider_id": status.provider_message_id,
        "channel": status.channel,
        "number": status.number,
        "customer": status.recipient.key,
        "status": status.status,
        "error": status.error,
        "error_code": status.error_code,
        "timestamp": status.timestamp,
    }
    return Event.new(
        "message.status",
        status.number,
        without_person(data) if erased else data,
        id=derived_id("evt", status.provider_message_id, status.status),
    )
