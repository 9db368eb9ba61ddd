"""Builders for WhatsApp Cloud API webhook payloads, byte-for-byte in Meta's shape.

Also signs bodies the way Meta does for the ``X-Hub-Signature-256`` header.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import secrets
import time
from typing import Any

Payload = dict[str, Any]

DEFAULT_WABA_ID = "102290129340398"
DEFAULT_DISPLAY_PHONE_NUMBER = "15550783881"
ERROR_CODES_URL = "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/"


def new_message_id() -> str:
    """A fresh id in Meta's ``wamid.<base64>`` format."""
    return "wamid." + base64.b64encode(secrets.token_bytes(30)).decode("ascii")


def _ts(timestamp: int | None) -> str:
    # Meta sends unix seconds as a JSON string, not a number.
    return str(int(time.time()) if timestamp is None else timestamp)


def _envelope(
    phone_number_id: str, value: dict[str, Any], *, waba_id: str, display_phone_number: str
) -> Payload:
    body: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "metadata": {
            "display_phone_number": display_phone_number,
            "phone_number_id": phone_number_id,
        },
    }
    body.update(value)
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": waba_id, "changes": [{"value": body, "field": "messages"}]}],
    }


def raw_message(
    phone_number_id: str,
    wa_id: str,
    message: dict[str, Any],
    *,
    name: str = "Ann",
    waba_id: str = DEFAULT_WABA_ID,
    display_phone_number: str = DEFAULT_DISPLAY_PHONE_NUMBER,
) -> Payload:
    """Wrap an arbitrary message object (e.g. a type Meta has not invented yet)."""
    return _envelope(
        phone_number_id,
        {"contacts": [{"profile": {"name": name}, "wa_id": wa_id}], "messages": [message]},
        waba_id=waba_id,
        display_phone_number=display_phone_number,
    )


def username_text(
    phone_number_id: str,
    user_id: str,
    text: str,
    *,
    wa_id: str = "",
    username: str = "@jane",
    name: str = "Jane",
    waba_id: str = DEFAULT_WABA_ID,
    display_phone_number: str = DEFAULT_DISPLAY_PHONE_NUMBER,
) -> Payload:
    """A text from a customer Meta names by their business-scoped user id (BSUID,
    ``user_id``): with ``wa_id`` while their phone is shared, without once they hide it
    behind a username (no ``from``, no ``wa_id``)."""
    contact: dict[str, Any] = {"profile": {"name": name, "username": username}, "user_id": user_id}
    message: dict[str, Any] = {
        "from_user_id": user_id,
        "id": new_message_id(),
        "timestamp": _ts(None),
        "type": "text",
        "text": {"body": text},
    }
    if wa_id:
        contact["wa_id"], message["from"] = wa_id, wa_id
    return _envelope(
        phone_number_id,
        {"contacts": [contact], "messages": [message]},
        waba_id=waba_id,
        display_phone_number=display_phone_number,
    )


def username_status(
    phone_number_id: str, message_id: str, user_id: str, status: str, *, wa_id: str = ""
) -> Payload:
    """A receipt of a send to a business-scoped user id: ``recipient_user_id``, and no
    ``recipient_id`` while the customer hides their phone (with ``wa_id``: Meta shares it
    too, the contact being in its contact book)."""
    item = {
        "id": message_id,
        "status": status,
        "timestamp": _ts(None),
        "recipient_user_id": user_id,
    }
    if wa_id:
        item["recipient_id"] = wa_id
    return _envelope(
        phone_number_id,
        {"statuses": [item]},
        waba_id=DEFAULT_WABA_ID,
        display_phone_number=DEFAULT_DISPLAY_PHONE_NUMBER,
    )


def number_changed(
    phone_number_id: str,
    wa_id: str,
    new_wa_id: str,
    *,
    timestamp: int | None = None,
    waba_id: str = DEFAULT_WABA_ID,
    display_phone_number: str = DEFAULT_DISPLAY_PHONE_NUMBER,
) -> Payload:
    """Meta's ``system`` message: the customer of ``wa_id`` moved to ``new_wa_id``
    (``user_changed_number``). Unlike other messages' webhooks, it has no ``contacts``."""
    message = {
        "from": wa_id,
        "id": new_message_id(),
        "timestamp": _ts(timestamp),
        "type": "system",
        "system": {
            "body": f"User Ann changed from {wa_id} to {new_wa_id}",
            "wa_id": new_wa_id,
            "type": "user_changed_number",
        },
    }
    return _envelope(
        phone_number_id,
        {"messages": [message]},
        waba_id=waba_id,
        display_phone_number=display_phone_number,
    )


def _inbound(
    phone_number_id: str,
    wa_id: str,
    kind: str,
    content: dict[str, Any],
    *,
    msg_id: str | None,
    name: str,
    timestamp: int | None,
    waba_id: str,
    display_phone_number: str,
    context: dict[str, Any] | None = None,
    errors: list[dict[str, Any]] | None = None,
    referral: dict[str, Any] | None = None,
) -> Payload:
    message: dict[str, Any] = {} if context is None else {"context": context}
    message.update({"from": wa_id, "id": msg_id or new_message_id(), "timestamp": _ts(timestamp)})
    if referral is not None:
        message["referral"] = referral
    if errors is not None:
        message["errors"] = errors
    message.update({"type": kind, kind: content})
    return raw_message(
        phone_number_id,
        wa_id,
        message,
        name=name,
        waba_id=waba_id,
        display_phone_number=display_phone_number,
    )


def text_message(
    phone_number_id: str,
    wa_id: str,
    text: str,
    *,
    msg_id: str | None = None,
    name: str = "Ann",
    timestamp: int | None = None,
    waba_id: str = DEFAULT_WABA_ID,
    display_phone_number: str = DEFAULT_DISPLAY_PHONE_NUMBER,
    referral: dict[str, Any] | None = None,
) -> Payload:
    """A plain text message from ``wa_id`` to the business number; ``referral`` when it
    comes from a click-to-WhatsApp ad or a Page call-to-action (see ``ad_referral``)."""
    return _inbound(
        phone_number_id,
        wa_id,
        "text",
        {"body": text},
        msg_id=msg_id,
        name=name,
        timestamp=timestamp,
        waba_id=waba_id,
        display_phone_number=display_phone_number,
        referral=referral,
    )


def ad_referral(source_id: str = "120201234567890", source_type: str = "ad") -> dict[str, Any]:
    """The ``referral`` object Meta adds to a message sent from a click-to-WhatsApp ad."""
    return {
        "source_url": "https://fb.me/3cr4Wqqkv",
        "source_id": source_id,
        "source_type": source_type,
        "headline": "Winter sale",
        "body": "Write to us on WhatsApp",
        "media_type": "image",
        "image_url": "https://scontent.xx.fbcdn.net/v/t45.1600-4/ad.png",
        "ctwa_clid": "ARAkLkA8rmlFeiCktEJQ-QTwRiyYHAFDLMNDBH0CD3qpjd0HR4irJ6LEkR7JwFF4XvnO2E4Nx0",
    }


def button_reply(
    phone_number_id: str,
    wa_id: str,
    button_id: str,
    title: str,
    *,
    msg_id: str | None = None,
    context_id: str | None = None,
    name: str = "Ann",
    timestamp: int | None = None,
    waba_id: str = DEFAULT_WABA_ID,
    display_phone_number: str = DEFAULT_DISPLAY_PHONE_NUMBER,
) -> Payload:
    """A tap on a reply button; ``context_id`` is the business message carrying it."""
    return _inbound(
        phone_number_id,
        wa_id,
        "interactive",
        {"type": "button_reply", "button_reply": {"id": button_id, "title": title}},
        msg_id=msg_id,
        name=name,
        timestamp=timestamp,
        waba_id=waba_id,
        display_phone_number=display_phone_number,
        context={"from": display_phone_number, "id": context_id or new_message_id()},
    )


def list_reply(
    phone_number_id: str,
    wa_id: str,
    row_id: str,
    title: str,
    description: str = "",
    *,
    msg_id: str | None = None,
    context_id: str | None = None,
    name: str = "Ann",
    timestamp: int | None = None,
    waba_id: str = DEFAULT_WABA_ID,
    display_phone_number: str = DEFAULT_DISPLAY_PHONE_NUMBER,
) -> Payload:
    """A row picked from an interactive list message."""
    reply = {"id": row_id, "title": title}
    if description:
        # Meta omits the key when the row had no description.
        reply["description"] = description
    return _inbound(
        phone_number_id,
        wa_id,
        "interactive",
        {"type": "list_reply", "list_reply": reply},
        msg_id=msg_id,
        name=name,
        timestamp=timestamp,
        waba_id=waba_id,
        display_phone_number=display_phone_number,
        context={"from": display_phone_number, "id": context_id or new_message_id()},
    )


def _fake_sha256() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def image_message(
    phone_number_id: str,
    wa_id: str,
    media_id: str,
    *,
    caption: str | None = None,
    mime_type: str = "image/jpeg",
    sha256: str | None = None,
    msg_id: str | None = None,
    name: str = "Ann",
    timestamp: int | None = None,
    waba_id: str = DEFAULT_WABA_ID,
    display_phone_number: str = DEFAULT_DISPLAY_PHONE_NUMBER,
) -> Payload:
    """An inbound image; the bytes live behind ``media_id`` on Meta's side."""
    image: dict[str, Any] = {}
    if caption is not None:
        image["caption"] = caption
    image.update({"mime_type": mime_type, "sha256": sha256 or _fake_sha256(), "id": media_id})
    return _inbound(
        phone_number_id,
        wa_id,
        "image",
        image,
        msg_id=msg_id,
        name=name,
        timestamp=timestamp,
        waba_id=waba_id,
        display_phone_number=display_phone_number,
    )


def document_message(
    phone_number_id: str,
    wa_id: str,
    media_id: str,
    filename: str,
    *,
    caption: str | None = None,
    mime_type: str = "application/pdf",
    sha256: str | None = None,
    msg_id: str | None = None,
    name: str = "Ann",
    timestamp: int | None = None,
    waba_id: str = DEFAULT_WABA_ID,
    display_phone_number: str = DEFAULT_DISPLAY_PHONE_NUMBER,
) -> Payload:
    """An inbound document (PDF by default)."""
    document: dict[str, Any] = {}
    if caption is not None:
        document["caption"] = caption
    document.update(
        {
            "filename": filename,
            "mime_type": mime_type,
            "sha256": sha256 or _fake_sha256(),
            "id": media_id,
        }
    )
    return _inbound(
        phone_number_id,
        wa_id,
        "document",
        document,
        msg_id=msg_id,
        name=name,
        timestamp=timestamp,
        waba_id=waba_id,
        display_phone_number=display_phone_number,
    )


def unsupported_message(
    phone_number_id: str,
    wa_id: str,
    *,
    unsupported_type: str = "edit",
    msg_id: str | None = None,
    name: str = "Ann",
    timestamp: int | None = None,
    waba_id: str = DEFAULT_WABA_ID,
    display_phone_number: str = DEFAULT_DISPLAY_PHONE_NUMBER,
) -> Payload:
    """What Meta delivers for content the Cloud API cannot represent (polls, edits...)."""
    error = {
        "code": 131051,
        "title": "Message type unknown",
        "message": "Message type unknown",
        "error_data": {"details": "Message type is currently not supported."},
    }
    return _inbound(
        phone_number_id,
        wa_id,
        "unsupported",
        {"type": unsupported_type},
        msg_id=msg_id,
        name=name,
        timestamp=timestamp,
        waba_id=waba_id,
        display_phone_number=display_phone_number,
        errors=[error],
    )


def location_message(
    phone_number_id: str,
    wa_id: str,
    latitude: float,
    longitude: float,
    *,
    place: str | None = None,
    address: str | None = None,
    msg_id: str | None = None,
    name: str = "Ann",
    timestamp: int | None = None,
) -> Payload:
    """A shared location; ``place`` and ``address`` only for a named place (Meta's
    ``name`` and ``address``), as a pin dropped on the map has neither."""
    location: dict[str, Any] = {"latitude": latitude, "longitude": longitude}
    if place is not None:
        location["name"] = place
    if address is not None:
        location["address"] = address
    return _typed(phone_number_id, wa_id, "location", location, msg_id, name, timestamp)


def contact_card(
    formatted_name: str,
    phones: list[tuple[str, str | None]],
    *,
    first_name: str | None = None,
    emails: tuple[str, ...] = (),
    company: str | None = None,
) -> dict[str, Any]:
    """One card of a ``contacts`` message: ``phones`` are (phone, wa_id or None), the
    wa_id present only when the number is on WhatsApp, as Meta sends it."""
    name: dict[str, Any] = {"formatted_name": formatted_name}
    if first_name is not None:
        name["first_name"] = first_name
    card: dict[str, Any] = {"name": name}
    card["phones"] = [
        {"phone": phone, "type": "CELL", **({"wa_id": wa} if wa else {})} for phone, wa in phones
    ]
    if emails:
        card["emails"] = [{"email": email, "type": "WORK"} for email in emails]
    if company is not None:
        card["org"] = {"company": company}
    return card


def contacts_message(
    phone_number_id: str,
    wa_id: str,
    cards: list[dict[str, Any]],
    *,
    msg_id: str | None = None,
    name: str = "Ann",
    timestamp: int | None = None,
) -> Payload:
    """Contact cards the customer shared (``type: contacts``, a list of cards)."""
    return _typed(phone_number_id, wa_id, "contacts", cards, msg_id, name, timestamp)


def reaction_message(
    phone_number_id: str,
    wa_id: str,
    message_id: str,
    emoji: str | None,
    *,
    msg_id: str | None = None,
    name: str = "Ann",
    timestamp: int | None = None,
) -> Payload:
    """An emoji on the business's message ``message_id``; ``emoji=None`` is a removed
    reaction, which Meta sends without the ``emoji`` field."""
    reaction: dict[str, Any] = {"message_id": message_id}
    if emoji is not None:
        reaction["emoji"] = emoji
    return _typed(phone_number_id, wa_id, "reaction", reaction, msg_id, name, timestamp)


def _typed(
    phone_number_id: str,
    wa_id: str,
    kind: str,
    content: Any,
    msg_id: str | None,
    name: str,
    timestamp: int | None,
) -> Payload:
    message = {"from": wa_id, "id": msg_id or new_message_id(), "timestamp": _ts(timestamp)}
    return raw_message(phone_number_id, wa_id, {**message, "type": kind, kind: content}, name=name)


_DEFAULT_FAILURE = {
    "code": 131047,
    "title": "Re-engagement message",
    "message": "Re-engagement message",
    "error_data": {
        "details": "Message failed to send because more than 24 hours have passed "
        "since the customer last replied to this number."
    },
    "href": ERROR_CODES_URL,
}


def status_update(
    phone_number_id: str,
    message_id: str,
    recipient_id: str,
    status: str,
    *,
    timestamp: int | None = None,
    errors: list[dict[str, Any]] | None = None,
    pricing_category: str | None = "service",
    pricing_type: str = "",
    waba_id: str = DEFAULT_WABA_ID,
    display_phone_number: str = DEFAULT_DISPLAY_PHONE_NUMBER,
) -> Payload:
    """A delivery receipt for an outbound message: sent, delivered, read or failed.

    ``pricing_category`` None leaves out the ``pricing`` object; ``pricing_type`` is
    ``regular``, ``free_customer_service`` or ``free_entry_point`` (by default regular,
    or free_customer_service for ``service``)."""
    if status not in ("sent", "delivered", "read", "failed", "played"):
        raise ValueError(f"unknown status {status!r}")
    when = _ts(timestamp)
    item: dict[str, Any] = {
        "id": message_id,
        "status": status,
        "timestamp": when,
        "recipient_id": recipient_id,
    }
    if status in ("sent", "delivered") and pricing_category is not None:
        # Billing info rides on sent and on delivered, never on read or failed.
        item["conversation"] = {
            "id": secrets.token_hex(16),
            "origin": {"type": pricing_category},
        }
        if status == "sent":
            item["conversation"]["expiration_timestamp"] = str(int(when) + 24 * 3600)
        kind = pricing_type or (
            "free_customer_service" if pricing_category == "service" else "regular"
        )
        item["pricing"] = {
            "billable": kind == "regular",
            "pricing_model": "PMP",
            "type": kind,
            "category": pricing_category,
        }
    if status == "failed":
        item["errors"] = errors if errors is not None else [copy.deepcopy(_DEFAULT_FAILURE)]
    elif errors is not None:
        item["errors"] = errors
    return _envelope(
        phone_number_id,
        {"statuses": [item]},
        waba_id=waba_id,
        display_phone_number=display_phone_number,
    )


def batch(*payloads: Payload) -> Payload:
    """Merge payloads for one phone number into a single POST, as Meta does under load."""
    if not payloads:
        raise ValueError("batch() needs at least one payload")
    merged = copy.deepcopy(payloads[0])
    value = merged["entry"][0]["changes"][0]["value"]
    target = value["metadata"]["phone_number_id"]
    for key in ("contacts", "messages", "statuses"):
        value.setdefault(key, [])
    for extra in payloads[1:]:
        other = extra["entry"][0]["changes"][0]["value"]
        if other["metadata"]["phone_number_id"] != target:
            raise ValueError("batch() payloads must share one phone_number_id")
        known = {c["wa_id"] for c in value["contacts"]}
        for contact in other.get("contacts", []):
            if contact["wa_id"] not in known:
                value["contacts"].append(copy.deepcopy(contact))
                known.add(contact["wa_id"])
        value["messages"].extend(copy.deepcopy(other.get("messages", [])))
        value["statuses"].extend(copy.deepcopy(other.get("statuses", [])))
    for key in ("contacts", "messages", "statuses"):
        # Meta leaves out empty arrays rather than sending [].
        if not value[key]:
            del value[key]
    return merged


def encode(payload: Payload) -> bytes:
    """Compact JSON with non-ASCII escaped, like Meta's wire bytes.

    The escaping matters: a receiver that re-serialises before checking the
    signature will fail on any non-ASCII text, exactly as it would in production.
    """
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def sign(app_secret: str, raw_body: bytes) -> str:
    """The ``X-Hub-Signature-256`` header value for ``raw_body``."""
    digest = hmac.new(app_secret.encode("utf-8"), raw_body, hashlib.sha256).hexdigest()
    return "sha256=" + digest
