"""WhatsApp Cloud API: the webhook's handshake, signature and payloads, and sending messages."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import math
import re
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, cast

import orjson

from adapters import provider
from adapters.files import shown_filename
from adapters.keepalive import KeepAlivePoster, PostFailed
from bot.identities import is_business_scoped_id, is_whatsapp_id
from bot.model import (
    ContactCard,
    ContactPhone,
    Identity,
    Inbound,
    Location,
    Media,
    MessageKind,
    Pricing,
    Reaction,
    StatusUpdate,
    display_name,
    parse_json,
)

log = logging.getLogger(__name__)

MEDIA_KINDS = ("image", "document", "audio", "video", "sticker")
STATUSES = ("sent", "delivered", "read", "failed")
RETRYABLE_CODES = frozenset({130429, 131056, 80007, 4, 1, 2, 131000})
"""Rate limits (130429 throughput, 131056 pair rate, 80007 account, 4 the app's calls) and
Meta's transient errors: Meta's throttling errors say to wait and try again."""
MARKETING_STOPPED = "131050"
"""Meta's failure of a marketing message to a customer who stopped them ("Stop
promotions"), in its answer to the send or in a status webhook."""
MAX_BUTTONS, BUTTON_TITLE = 3, 20
"""Reply buttons: at most 3, titles of at most 20 characters."""
MAX_ROWS, ROW_TITLE, ROW_DESCRIPTION = 10, 24, 72
"""A list: at most 10 rows in all, titles of at most 24 characters."""
BUTTON_BODY, LIST_BODY, LIST_BUTTON = 1024, 4096, "Choose"
"""The longest bodies of a button and of a list message, and the label opening a list."""


class PayloadError(ValueError):
    """A webhook body that is JSON but not a Cloud API payload."""


class ProviderError(provider.ProviderError):
    """The Graph API refused a send; ``retryable`` says whether trying again may work."""

    provider = "WhatsApp"
    retryable_codes = RETRYABLE_CODES


def verify_signature(app_secret: str, raw_body: bytes, header: str | None) -> bool:
    """Check ``X-Hub-Signature-256``: HMAC-SHA256 of the raw body with the app secret."""
    if not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(app_secret.encode(), raw_body, hashlib.sha256).hexdigest()
    return _same(expected, header[len("sha256=") :])


def handshake(query: Mapping[str, str], verify_token: str) -> str | None:
    """The challenge to echo when Meta's GET verification names our token, else None."""
    if query.get("hub.mode") != "subscribe":
        return None
    if not _same(query.get("hub.verify_token", ""), verify_token):
        return None
    return query.get("hub.challenge", "")


def _same(given: str, expected: str) -> bool:
    """Constant-time comparison that also takes hostile non-ASCII input (compared as bytes)."""
    return hmac.compare_digest(
        given.encode("utf-8", "surrogateescape"), expected.encode("utf-8", "surrogateescape")
    )


def parse_webhook(
    payload: Any, phone_number_id: str
) -> tuple[list[Inbound | StatusUpdate], list[str]]:
    """Messages and statuses in a webhook body, for our number (other numbers' are
    skipped), and why each message or status that cannot be read was left out: one such
    item must not lose the others, whose body Meta would send again and again as it is.
    PayloadError for a body that is not a webhook's."""
    if not isinstance(payload, dict) or not isinstance(payload.get("entry"), list):
        raise PayloadError("not a WhatsApp webhook: expected an object with an 'entry' list")
    items: list[Inbound | StatusUpdate] = []
    unread: list[str] = []
    for entry in payload["entry"]:
        if not isinstance(entry, dict) or not isinstance(entry.get("changes"), list):
            unread.append("each entry must be an object with a 'changes' list")
            continue
        changes = entry["changes"]
        for change in changes:
            if isinstance(change, dict) and change.get("field", "messages") != "messages":
                continue  # another webhook field of the account: template_updates() and others
            try:
                _read_change(change, phone_number_id, items, unread)
            except PayloadError as error:  # this change alone: the others are taken
                unread.append(str(error))
    return items, unread


def _read_change(
    change: Any, phone_number_id: str, items: list[Inbound | StatusUpdate], unread: list[str]
) -> None:
    """The messages and statuses of one change of the ``messages`` field into ``items``;
    those that cannot be read into ``unread``. PayloadError for a change that cannot be."""
    value = change.get("value") if isinstance(change, dict) else None
    if not isinstance(value, dict):
        raise PayloadError("each change needs a 'value' object")
    metadata = value.get("metadata")
    if not isinstance(metadata, dict) or not metadata.get("phone_number_id"):
        raise PayloadError("value.metadata.phone_number_id is missing")
    if str(metadata["phone_number_id"]) != phone_number_id:
        return
    number = f"wa:{phone_number_id}"
    names = {
        str(contact.get(key)): display_name(_dict(contact, "profile").get("name"))
        for contact in _list(value, "contacts")
        if isinstance(contact, dict)
        for key in ("wa_id", "user_id")
        if contact.get(key)
    }
    for message in _list(value, "messages"):
        if isinstance(message, dict) and message.get("group_id"):
            # A group's message (Meta's Groups API) is no customer's private conversation:
            # answered or kept as one, it would open the member's window and welcome them.
            continue
        try:
            items.append(_message(number, message, names))
        except PayloadError as error:
            unread.append(str(error))
    for status in _list(value, "statuses"):
        if isinstance(status, dict) and status.get("recipient_type") == "group":
            continue  # a receipt of a group's message, another app's: as its messages
        # Receipts we do not track (a voice note's "played") are acknowledged and skipped.
        if not isinstance(status, dict) or status.get("status") in STATUSES:
            try:
                items.append(_status(number, status))
            except PayloadError as error:
                unread.append(str(error))


@dataclass(frozen=True, slots=True)
class TemplateStatus:
    """A template's review or lifecycle change: approved, rejected, paused, disabled...

    From the ``message_template_status_update`` field of the business account's webhook:
    https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/message_template_status_update
    """

    account: str
    """The WhatsApp Business Account the template belongs to."""
    template_id: str
    name: str
    language: str
    event: str
    reason: str
    category: str
    at: int
    """When Meta sent it (the entry's ``time``, unix seconds)."""

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def template_updates(payload: Any) -> tuple[list[TemplateStatus], list[str]]:
    """The template status changes in a webhook body, and why each that cannot be read was
    left out; what is not one is skipped."""
    found: list[TemplateStatus] = []
    unread: list[str] = []
    for entry, value in _changes_of(payload, "message_template_status_update"):
        if not isinstance(value, dict) or not _str(value, "event"):
            unread.append("a template status update needs a value with an 'event'")
            continue
        at = entry.get("time")
        found.append(
            TemplateStatus(
                account=_str(entry, "id"),
                template_id=_str(value, "message_template_id"),
                name=_str(value, "message_template_name"),
                language=_str(value, "message_template_language"),
                event=_str(value, "event"),
                reason=_str(value, "reason"),
                category=_str(value, "message_template_category"),
                at=at if isinstance(at, int) and not isinstance(at, bool) else 0,
            )
        )
    return found, unread


MAX_REPORTED = 10
"""Meta's errors of one change said at most, each in at most ``MAX_FIELD`` characters."""


def reported_errors(payload: Any, phone_number_id: str) -> list[str]:
    """Meta's errors in the ``messages`` changes for our number (``value.errors``: one it
    hit handing a message over), each as ``<code>: <title>: <details>``; anything else in
    the body is skipped.
    https://developers.facebook.com/documentation/business-messaging/whatsapp/support/error-codes
    """
    said = []
    for _, value in _changes_of(payload, "messages"):
        metadata = _dict(value, "metadata") if isinstance(value, dict) else {}
        errors = value.get("errors") if isinstance(value, dict) else None
        if str(metadata.get("phone_number_id")) != phone_number_id or not isinstance(errors, list):
            continue
        for error in errors[:MAX_REPORTED]:
            if isinstance(error, dict):
                title = _str(error, "title") or _str(error, "message")
                details = _str(_dict(error, "error_data"), "details")
                line = ": ".join(part for part in (_str(error, "code"), title, details) if part)
                said.append(line[:MAX_FIELD])
    return said


def _changes_of(payload: Any, field: str) -> Iterator[tuple[dict[str, Any], Any]]:
    """Each (entry, value) of a webhook body's changes of a business account's ``field``;
    anything else in it is skipped."""
    entries = payload.get("entry") if isinstance(payload, dict) else None
    for entry in entries if isinstance(entries, list) else []:
        changes = entry.get("changes") if isinstance(entry, dict) else None
        for change in changes if isinstance(changes, list) else []:
            if isinstance(change, dict) and change.get("field") == field:
                yield entry, change.get("value")


@dataclass(frozen=True, slots=True)
class MarketingPreference:
    """A customer stopped or resumed the number's marketing messages in WhatsApp ("Stop
    promotions" in the chat, or Offers and announcements in the settings).

    From the ``user_preferences`` field of the business account's webhook:
    https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/user_preferences
    """

    number: str
    customer: Identity
    stopped: bool
    at: int
    """When Meta sent it (unix seconds): of two, the later holds."""


PREFERENCES = {"stop": True, "resume": False}


def marketing_preferences(
    payload: Any, phone_number_id: str
) -> tuple[list[MarketingPreference], list[str]]:
    """The marketing preferences changed in a webhook body, for our number (other numbers'
    are skipped), and why each that cannot be read was left out; what is not one is
    skipped."""
    found: list[MarketingPreference] = []
    unread: list[str] = []
    for _, value in _changes_of(payload, "user_preferences"):
        metadata = value.get("metadata") if isinstance(value, dict) else None
        if not isinstance(metadata, dict) or not metadata.get("phone_number_id"):
            unread.append("a user_preferences change needs value.metadata.phone_number_id")
            continue
        if str(metadata["phone_number_id"]) != phone_number_id:
            continue
        try:
            preferences = _list(value, "user_preferences")
        except PayloadError as error:
            unread.append(str(error))
            continue
        for item in preferences:
            try:
                if preference := _preference(f"wa:{phone_number_id}", item):
                    found.append(preference)
            except PayloadError as error:
                unread.append(str(error))
    return found, unread


def _preference(number: str, item: Any) -> MarketingPreference | None:
    """One ``user_preferences`` item; None for a category other than marketing messages."""
    if not isinstance(item, dict):
        raise PayloadError("each user preference must be an object")
    if item.get("category") != "marketing_messages":
        return None
    wa_id, value, at = _str(item, "wa_id"), item.get("value"), item.get("timestamp")
    if not is_whatsapp_id(wa_id) or wa_id.startswith("0"):
        raise PayloadError("each user preference needs a 'wa_id' of 5 to 20 digits")
    if not isinstance(value, str) or value not in PREFERENCES:
        raise PayloadError("a marketing preference's 'value' is 'stop' or 'resume'")
    if isinstance(at, str) and _digits(at):
        at = int(at)
    if not isinstance(at, int) or isinstance(at, bool) or not 0 < at < 2**32:
        raise PayloadError("a marketing preference needs a 'timestamp' in unix seconds")
    at = min(at, int(time.time()))  # one from the future would hold against later ones
    return MarketingPreference(number, Identity("wa", wa_id), PREFERENCES[value], at)


MAX_ID = 512
"""The longest message id taken (Meta's wamids are about 60 characters): it is a dedupe key."""
MAX_TEXT = 4096
"""WhatsApp's own limit on a text; a longer one is cut, so its event stays a few kB. So
is every other text a message carries: a caption (1,024 on WhatsApp), a button's."""
MAX_FILENAME = 255
MAX_FIELD = 1024
"""A place's name or address, a card's name, phone, email or company: cut there."""
MAX_ITEMS = 20
"""A card's phones, or emails, taken at most."""
MAX_EMOJI = 32
"""An emoji with its modifiers and joiners is a few characters."""


def _digits(value: str) -> bool:
    """ASCII digits only: ``str.isdigit`` also takes "²³" and other scripts' digits."""
    return value.isascii() and value.isdigit()


_VISIBLE_ASCII = re.compile(r"[!-~]*")
"""Meta's ids (``wamid.`` and base64): no space, control or other script."""
_TYPE_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")
"""Meta's message types: ``text``, ``request_welcome``, and those it adds later alike."""


def _message_id(item: dict[str, Any], what: str) -> str:
    """The item's ``id``, "" when it has none; PayloadError for one that is no Meta id."""
    provider_id = _str(item, "id")
    if len(provider_id) > MAX_ID or not _VISIBLE_ASCII.fullmatch(provider_id):
        raise PayloadError(f"each {what}'s 'id' is at most {MAX_ID} characters, visible ASCII only")
    return provider_id


def _provider_type(message: dict[str, Any]) -> str:
    """The message's ``type``, "" when it is none Meta would send (it is kept and shown)."""
    given = message.get("type")
    return given if isinstance(given, str) and _TYPE_NAME.fullmatch(given) else ""


def _message(number: str, message: Any, names: dict[str, str]) -> Inbound:
    if not isinstance(message, dict):
        raise PayloadError("each message must be an object")
    if edited := _edited(message):
        original, now_reads = edited
        return replace(_message(number, now_reads, names), edit_of=original)
    provider_id, sender = _message_id(message, "message"), _str(message, "from")
    user_id = _str(message, "from_user_id")  # a business-scoped user id (BSUID)
    scoped = Identity("wauser", user_id) if is_business_scoped_id(user_id) else None
    if not provider_id or not (is_whatsapp_id(sender) or (scoped and not sender)):
        raise PayloadError(
            "each message needs an 'id', and a 'from' of 5 to 20 digits or a 'from_user_id'"
        )
    provider_type = _provider_type(message)
    kind: MessageKind = "unsupported"
    text = payload = ""
    media = location = reaction = None
    contacts: tuple[ContactCard, ...] = ()
    if provider_type == "text":
        body = _dict(message, "text").get("body")
        if not isinstance(body, str) or not body:  # Meta's is always one, never empty
            raise PayloadError("a text message needs a 'text.body' string that is not empty")
        kind, text = "text", body[:MAX_TEXT]
    elif provider_type == "interactive":
        interactive = _dict(message, "interactive")
        choice_type = _str(interactive, "type")
        if choice_type in ("button_reply", "list_reply"):
            choice = _dict(interactive, choice_type)
            kind = "button" if choice_type == "button_reply" else "list"
            text, payload = _str(choice, "title")[:MAX_TEXT], _str(choice, "id")[:MAX_TEXT]
    elif provider_type == "button":  # a quick-reply button of a template
        button = _dict(message, "button")
        text, payload = _str(button, "text")[:MAX_TEXT], _str(button, "payload")[:MAX_TEXT]
        kind = "button"
    elif provider_type in MEDIA_KINDS:
        body = _dict(message, provider_type)
        media_id = _str(body, "id")[:MAX_ID]  # Meta's are some twenty digits
        if media_id:
            kind = cast(MessageKind, provider_type)
            media = Media(
                id=media_id,
                mime_type=_str(body, "mime_type")[:MAX_FILENAME],
                sha256=_str(body, "sha256")[:MAX_FILENAME],
                filename=shown_filename(_str(body, "filename"), MAX_FILENAME),
                caption=_str(body, "caption")[:MAX_TEXT],
                ref=f"wa_{media_id}" if _digits(media_id) else "",
            )
            text = media.caption
    elif provider_type == "location":
        location = _location(_dict(message, "location"))
        kind = "location" if location else kind
    elif provider_type == "contacts":
        contacts = tuple(
            _card(card) for card in _list(message, "contacts")[:MAX_ITEMS] if isinstance(card, dict)
        )
        kind = "contact" if contacts else kind
    elif provider_type == "reaction":
        body = _dict(message, "reaction")
        if _str(body, "message_id"):
            kind = "reaction"
            reacted = _str(body, "message_id")[:MAX_ID]  # one of ours is far shorter
            reaction = Reaction(reacted, _str(body, "emoji")[:MAX_EMOJI])
    # A customer who hides their phone behind a username is named by their BSUID alone.
    wa = Identity("wa", sender) if sender else scoped
    assert wa is not None
    own = _own_phones(sender, contacts) if sender else ()
    also = (scoped,) if scoped and sender else ()
    return Inbound(
        channel="whatsapp",
        number=number,
        provider_id=provider_id,
        sender=wa,
        kind=kind,
        timestamp=_timestamp(message),
        text=text,
        payload=payload,
        media=media,
        name=names.get(sender or user_id, ""),
        identities=(wa, *own, *also, *_changed_to(message)),
        provider_type=provider_type,
        location=location,
        contacts=contacts,
        reaction=reaction,
        referral=_referral(message),
        provider_content=_unread_content(message) if kind == "unsupported" else "",
        reply_to=_str(_dict(message, "context"), "id")[:MAX_ID],
        forwarded=_forwarded(_dict(message, "context")),
        referred_product=_referred_product(_dict(message, "context")),
    )


def _edited(message: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """The original message's id and the message as it reads now, from Meta's ``edit``
    (a customer changed a text or a caption); None for any other message, and for an
    edit without them, which is kept as ``unsupported``.
    https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/edit
    """
    if _str(message, "type") != "edit":
        return None
    edit = _dict(message, "edit")
    original, now_reads = _str(edit, "original_message_id")[:MAX_ID], _dict(edit, "message")
    if not original or _str(now_reads, "type") in ("", "edit"):
        return None
    # The edit's own id (its dedupe key), sender and time, with the message's content.
    envelope = ("from", "from_user_id", "id", "timestamp")
    return original, {**now_reads, **{key: message[key] for key in envelope if key in message}}


def _referred_product(context: dict[str, Any]) -> str:
    """``<catalog_id>:<product_retailer_id>`` of the product a customer asks about (the
    "Message business" button of a catalog's item); "" for none."""
    product = context.get("referred_product")
    if not isinstance(product, dict):
        return ""
    catalog, item = _str(product, "catalog_id"), _str(product, "product_retailer_id")
    return f"{catalog[:MAX_ID]}:{item[:MAX_ID]}" if catalog and item else ""


MAX_CONTENT = 16_384
"""Bytes of an unsupported message's own content passed on at most."""
_ENVELOPE = frozenset({"from", "id", "timestamp", "type", "context", "referral"})


def _unread_content(message: dict[str, Any]) -> str:
    """What a message of a type we do not read carries (an ``order``, a ``system`` notice,
    a flow's ``nfm_reply``, ``errors``), as compact JSON for the services; '' when it
    carries nothing, or more than ``MAX_CONTENT`` bytes."""
    content = {key: value for key, value in message.items() if key not in _ENVELOPE}
    if not content:
        return ""
    written = json.dumps(content, ensure_ascii=False, separators=(",", ":"))
    return written if len(written.encode()) <= MAX_CONTENT else ""


def _forwarded(context: dict[str, Any]) -> str:
    """``frequently_forwarded`` or ``forwarded`` as Meta's ``context`` says, else ''."""
    for flag in ("frequently_forwarded", "forwarded"):
        if context.get(flag) is True:
            return flag
    return ""


def _location(body: dict[str, Any]) -> Location | None:
    """A shared place; None without a latitude and a longitude on Earth."""
    latitude = _coordinate(body.get("latitude"), 90)
    longitude = _coordinate(body.get("longitude"), 180)
    if latitude is None or longitude is None:
        return None
    name, address = _str(body, "name")[:MAX_FIELD], _str(body, "address")[:MAX_FIELD]
    return Location(latitude, longitude, name, address)


def _coordinate(value: Any, bound: float) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    # The bounds first: an integer past a double's range cannot be asked if it is finite.
    return float(value) if -bound <= value <= bound and math.isfinite(value) else None


def _card(card: dict[str, Any]) -> ContactCard:
    """A shared contact card, in Meta's shape: ``name``, ``phones``, ``emails``, ``org``."""
    phones = tuple(
        ContactPhone(
            _str(phone, "phone")[:MAX_FIELD],
            _str(phone, "wa_id")[:MAX_FIELD],
            _str(phone, "type")[:MAX_FIELD],
        )
        for phone in _list(card, "phones")[:MAX_ITEMS]
        if isinstance(phone, dict) and (_str(phone, "phone") or _str(phone, "wa_id"))
    )
    emails = tuple(
        _str(email, "email")[:MAX_FIELD]
        for email in _list(card, "emails")[:MAX_ITEMS]
        if isinstance(email, dict) and _str(email, "email")
    )
    name = _dict(card, "name")
    formatted = _str(name, "formatted_name") or " ".join(
        part for part in (_str(name, "first_name"), _str(name, "last_name")) if part
    )
    company = _str(_dict(card, "org"), "company")[:MAX_FIELD]
    return ContactCard(formatted[:MAX_FIELD], phones, emails, company)


def _own_phones(sender: str, cards: Sequence[ContactCard]) -> tuple[Identity, ...]:
    """The phone of a shared card that is the sender's own number: the one WhatsApp ties
    to the sender (its ``wa_id`` is theirs) or whose digits are their id, as their id's
    international number: typed the national way ("55 1234 5678"), it would be read in
    the bot's region, another country's number. Nothing else on a card stitches, even on
    the sender's own card: its other numbers are typed by whoever made the card, and
    could be anyone's."""
    own = any(
        phone.wa_id == sender or "".join(filter(str.isdigit, phone.phone)) == sender
        for card in cards
        for phone in card.phones
        if phone.phone
    )
    return (Identity("phone", f"+{sender}"),) if own else ()


NUMBER_CHANGES = frozenset({"user_changed_number", "customer_changed_number"})
"""Meta's notice that the customer moved to a new number (``customer_changed_number``
in older versions of the API)."""


def _changed_to(message: dict[str, Any]) -> tuple[Identity, ...]:
    """The WhatsApp id a customer moved to, from Meta's ``system`` notice of the change
    (``system.wa_id``; ``new_wa_id`` in older versions): it joins their profile."""
    if _str(message, "type") != "system":
        return ()
    notice = _dict(message, "system")
    if _str(notice, "type") not in NUMBER_CHANGES:
        return ()
    new = _str(notice, "wa_id") or _str(notice, "new_wa_id")
    return (Identity("wa", new),) if is_whatsapp_id(new) else ()


def _referral(message: dict[str, Any]) -> str:
    """``<source_type>:<source_id>`` of the message's ``referral`` object, '' without one.

    Meta adds ``referral`` to a message the customer sent from a click-to-WhatsApp ad or
    a Facebook Page call-to-action, the free entry points of its pricing:
    https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages
    """
    referral = message.get("referral")
    if not isinstance(referral, dict) or not referral:
        return ""
    source = _str(referral, "source_type") or "unknown"
    return f"{source}:{_str(referral, 'source_id')}"[:200]


def _status(number: str, status: Any) -> StatusUpdate:
    if not isinstance(status, dict):
        raise PayloadError("each status must be an object")
    state, recipient = _str(status, "status"), _str(status, "recipient_id")
    user_id = _str(status, "recipient_user_id")  # a send to a BSUID may have no phone
    also = None
    if _digits(recipient):
        to = Identity("wa", recipient)
        also = Identity("wauser", user_id) if is_business_scoped_id(user_id) else None
    elif not recipient and is_business_scoped_id(user_id):
        to = Identity("wauser", user_id)
    else:
        to = None
    if not _message_id(status, "status") or state not in STATUSES or to is None:
        raise PayloadError(
            "each status needs an 'id', a known 'status' and a 'recipient_id'"
            " (or a 'recipient_user_id')"
        )
    errors = _list(status, "errors")
    first = errors[0] if errors and isinstance(errors[0], dict) else {}
    # Meta is retiring the titles: its message, else its details, say it then.
    details = first.get("error_data") if first else None
    error = (
        _str(first, "title")
        or _str(first, "message")
        or (_str(details, "details") if isinstance(details, dict) else "")
        if first
        else ""
    )
    code = first.get("code")
    error_code = str(code) if isinstance(code, int) and not isinstance(code, bool) else ""
    return StatusUpdate(
        channel="whatsapp",
        number=number,
        provider_message_id=_str(status, "id"),
        recipient=to,
        also=also,
        status=cast(Any, state),
        timestamp=_timestamp(status),
        error=error,
        pricing=_pricing(status),
        error_code=error_code[:20],
    )


BILLED_TYPES = frozenset({"regular"})
FREE_TYPES = frozenset({"free_customer_service", "free_entry_point"})


SAME_CATEGORY = {"authentication_international": "authentication-international"}
"""Meta's pricing category names as the ledger keeps them: the authentication-international
rate is written with an underscore in Meta's status webhooks and pricing analytics, with a
hyphen in its pricing pages; both are one category."""


def _tell_unknown_pricing(kind: str) -> None:
    """Said once a process for each pricing type, not on every receipt that carries it."""
    if kind not in _PRICING_TOLD and len(_PRICING_TOLD) < 100:
        _PRICING_TOLD.add(kind)
        log.warning(
            "a WhatsApp receipt's pricing type %r is none this version knows, and it says "
            "nothing of billable: such receipts are kept without their price",
            kind,
        )


_PRICING_TOLD: set[str] = set()


def _pricing(status: dict[str, Any]) -> Pricing | None:
    """The status's ``pricing`` object; None when it has none, or one of a type this
    version does not know and no ``billable`` (the receipt is kept all the same).

    Meta recommends ``type`` and ``category`` over ``billable``, which it will deprecate:
    "we recommend that you start using pricing.type and pricing.category together to
    determine if a message is billable, and if so, its billing rate."
    https://developers.facebook.com/documentation/business-messaging/whatsapp/pricing
    """
    pricing = status.get("pricing")
    if not isinstance(pricing, dict) or not pricing:
        return None
    kind, billable = _str(pricing, "type"), pricing.get("billable")
    if kind in BILLED_TYPES or kind in FREE_TYPES:
        charged = kind in BILLED_TYPES
    elif isinstance(billable, bool):
        charged = billable
    elif isinstance(billable, str) and billable.lower() in ("true", "false"):
        charged = billable.lower() == "true"
    else:  # a type Meta added since: the receipt still counts, without its price
        _tell_unknown_pricing(kind[:40])
        return None
    category = _str(pricing, "category")[:40]
    return Pricing(
        billable=charged,
        pricing_model=_str(pricing, "pricing_model")[:16],
        type=kind[:40],
        category=SAME_CATEGORY.get(category, category),
    )


MAX_AGE = 30 * 24 * 3600
"""The oldest timestamp taken: Meta retries for 7 days, so a real message is never older."""
MAX_AHEAD = 24 * 3600
"""The furthest into the future a timestamp may be: clocks differ, not by days."""


_SECONDS = re.compile(r"[0-9]{1,15}(\.[0-9]{1,9})?")
"""Meta's timestamp string: ASCII digits. ``float`` also takes " 1 ", "1_000", "1e3" and
other scripts' digits."""


def _timestamp(item: dict[str, Any]) -> float:
    """Unix seconds, Meta's string or a number. Meta always sends one: when it is absent
    the item is dated now, as it arrived. A value that is not a finite time within
    MAX_AGE before and MAX_AHEAD after now (0 too) is a PayloadError. One ahead of this
    clock (its own behind Meta's, or an odd value) is dated now: kept as it came, the
    24-hour window would stay open here past the time Meta closes it."""
    if "timestamp" not in item:
        return time.time()
    raw = item["timestamp"]
    try:
        if isinstance(raw, bool) or not isinstance(raw, str | int | float):
            raise ValueError
        if isinstance(raw, str) and not _SECONDS.fullmatch(raw):
            raise ValueError
        value = float(raw)
    except (TypeError, ValueError, OverflowError):  # 10**400 is an int no float can hold
        raise PayloadError("timestamp must be unix seconds") from None
    now = time.time()
    if not math.isfinite(value) or not now - MAX_AGE <= value <= now + MAX_AHEAD:
        raise PayloadError(
            "timestamp must be unix seconds within 30 days before and a day after now"
        )
    return min(value, now)


def _list(parent: Any, key: str) -> list[Any]:
    value = parent.get(key, []) if isinstance(parent, dict) else []
    if not isinstance(value, list):
        raise PayloadError(f"'{key}' must be a list")
    return value


def _dict(parent: dict[str, Any], key: str) -> dict[str, Any]:
    value = parent.get(key)
    return value if isinstance(value, dict) else {}


def _str(parent: dict[str, Any], key: str) -> str:
    """A field Meta sends as a string (some as a number): a boolean is neither."""
    value = parent.get(key)
    return str(value) if isinstance(value, str | int) and not isinstance(value, bool) else ""


class WhatsAppClient:
    """Sends through ``POST {base}/{phone_number_id}/messages``, on kept-alive connections
    (``adapters/keepalive.py``): a send is never sent twice by the client itself."""

    def __init__(
        self, calls: KeepAlivePoster, base: str, phone_number_id: str, access_token: str
    ) -> None:
        self.calls = calls
        self.url = f"{base.rstrip('/')}/{phone_number_id}/messages"
        self._headers = {
            "Authorization": f"Bearer {access_token}",
            "Content-Type": "application/json",
        }

    async def send_text(self, to: str, text: str) -> str:
        return await self._send(
            {"to": to, "type": "text", "text": {"preview_url": False, "body": text}}
        )

    async def send_choices(self, to: str, text: str, choices: Sequence[str]) -> str:
        """``text`` with ``choices`` (CH-6): reply buttons when they fit, else a list, else
        numbered lines. A press comes back with the id ``b:<index>``."""
        return await self._send(choices_message(to, text, choices))

    async def send_template(self, to: str, template: dict[str, Any]) -> str:
        return await self._send({"to": to, "type": "template", "template": template})

    async def send_media(self, to: str, media: Mapping[str, str]) -> str:
        """An image, document, audio or video by ``link`` or uploaded ``id``, with its
        ``caption`` (not for audio) and a document's ``filename``."""
        kind = media["kind"]
        keys = ("link", "id", "caption", "filename")
        return await self._send(
            {"to": to, "type": kind, kind: {k: media[k] for k in keys if k in media}}
        )

    async def send_typing(self, message_id: str) -> None:
        """Mark the customer's message read and show them the business typing, until the
        next message or for 25 seconds (Meta's typing indicators)."""
        body = {
            "messaging_product": "whatsapp",
            "status": "read",
            "message_id": message_id,
            "typing_indicator": {"type": "text"},
        }
        status, data, _ = await self._post(body)
        if status == 200 and isinstance(data, dict) and data.get("success"):
            return
        raise _refusal(status, data, None)

    async def _send(self, message: dict[str, Any]) -> str:
        if not str(message["to"]).isdigit():  # a business-scoped user id: its own field
            message = {
                "recipient": message["to"],
                **{k: v for k, v in message.items() if k != "to"},
            }
        body = {"messaging_product": "whatsapp", "recipient_type": "individual", **message}
        status, data, retry_after = await self._post(body)
        message_id = _sent_id(data) if status == 200 else None
        if message_id:
            return message_id
        seconds = float(retry_after) if retry_after and retry_after.isdigit() else None
        raise _refusal(status, data, seconds)

    async def _post(self, body: dict[str, Any]) -> tuple[int, Any, str | None]:
        """The answer's status, its JSON ({} when it is none) and its Retry-After.
        PostFailed when no answer came, as for a base URL or token that cannot be sent."""
        try:
            answer = await self.calls.call(self.url, self._headers, _json_bytes(body), CALL_TIMEOUT)
        except ValueError as error:
            raise PostFailed(f"cannot call {self.url}: {error}") from None
        return answer.status, _json_answer(answer.body), answer.retry_after


CALL_TIMEOUT = 60.0
"""The longest a call waits for its answer; the sender gives up on it sooner."""


def _json_bytes(body: dict[str, Any]) -> bytes:
    """``body`` as JSON; what orjson refuses (a lone surrogate) as the json module writes
    it, escaped."""
    try:
        return orjson.dumps(body)
    except TypeError:
        return json.dumps(body).encode()


def _json_answer(body: bytes) -> Any:
    """An answer's JSON, or {} when it is none."""
    try:
        return parse_json(body) if body else {}
    except (ValueError, RecursionError):  # not JSON, not UTF-8, or nested too deep
        return {}


def _refusal(status: int, data: Any, retry_after: float | None) -> ProviderError:
    """The answer as a refusal; an ``error`` not of the shape Meta documents (an object
    with an integer ``code`` and a ``message``) still is one, with code 0. Meta's
    ``error_data.details`` (which parameter, which object) follows the ``message``, the
    code's title alone, which Meta is retiring."""
    error = data.get("error") if isinstance(data, dict) else None
    if not isinstance(error, dict):
        error = {}
    message = str(error.get("message", "unexpected response"))
    details = _str(_dict(error, "error_data"), "details")[:MAX_FIELD]
    if details and details not in message:
        message = f"{message}: {details}"
    return ProviderError(status, _code(error.get("code")), message, retry_after)


def _code(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return 0
    try:
        return int(value)
    except (ValueError, OverflowError):  # "abc", NaN, infinity
        return 0


def choices_message(to: str, text: str, choices: Sequence[str]) -> dict[str, Any]:
    """The Cloud API message offering ``choices``: ``interactive`` of type ``button`` (up
    to 3 short ones) or ``list`` (up to 10 rows); more, or a body too long, as text."""
    body = text or "Please choose:"
    if len(choices) <= MAX_BUTTONS and len(body) <= BUTTON_BODY:
        if all(0 < len(choice) <= BUTTON_TITLE for choice in choices):
            buttons = [
                {"type": "reply", "reply": {"id": f"b:{index}", "title": choice}}
                for index, choice in enumerate(choices)
            ]
            interactive = {"type": "button", "body": {"text": body}, "action": {"buttons": buttons}}
            return {"to": to, "type": "interactive", "interactive": interactive}
    if len(choices) <= MAX_ROWS and len(body) <= LIST_BODY and all(choices):
        rows = []
        for index, choice in enumerate(choices):
            row = {"id": f"b:{index}", "title": _cut(choice, ROW_TITLE)}
            if len(choice) > ROW_TITLE:  # the whole option, where the title is cut short
                row["description"] = _cut(choice, ROW_DESCRIPTION)
            rows.append(row)
        action = {"button": LIST_BUTTON, "sections": [{"title": "Options", "rows": rows}]}
        interactive = {"type": "list", "body": {"text": body}, "action": action}
        return {"to": to, "type": "interactive", "interactive": interactive}
    lines = "\n".join(f"{n}. {choice}" for n, choice in enumerate(choices, 1))
    return {"to": to, "type": "text", "text": {"preview_url": False, "body": f"{body}\n{lines}"}}


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _sent_id(data: Any) -> str | None:
    """``messages[0].id`` of a send's answer, if the answer has that shape."""
    try:
        return str(data["messages"][0]["id"])
    except (KeyError, IndexError, TypeError):
        return None
