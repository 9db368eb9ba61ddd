"""The vocabulary of Switchboard: the values that flow between adapters, stores and handlers."""

from __future__ import annotations

import functools
import hashlib
import json
import re
import secrets
import time
import unicodedata
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import orjson

MessageKind = Literal[
    "text",
    "button",
    "list",
    "image",
    "document",
    "audio",
    "video",
    "sticker",
    "contact",
    "location",
    "reaction",
    "unsupported",
]
DeliveryStatus = Literal["sent", "delivered", "read", "failed"]

AUTOMATION_SERVICE = "bot"
"""The runtime's own service, which carries the configured automation (SN-1)."""

EVENT_TYPES = (
    "message.inbound",
    "message.outbound",
    "message.status",
    "conversation.claimed",
    "conversation.released",
    "number.parent_changed",
    "profile.merged",
    "profile.erased",
)


@dataclass(frozen=True, slots=True)
class Identity:
    """One typed key of a customer, such as ``phone:+447700900123`` or ``vid:<cookie>``."""

    kind: str
    """``phone``, ``wa``, ``tg``, ``email`` or ``vid``."""
    value: str
    """The normalized value: E.164 for phones, digits for WhatsApp ids."""

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.value}"

    @classmethod
    def parse(cls, key: str) -> Identity:
        kind, sep, value = key.partition(":")
        if not sep or not kind or not value:
            raise ValueError(f"not an identity key: {key!r}")
        return cls(kind, value)


@dataclass(frozen=True, slots=True)
class Media:
    """A media attachment, kept as the provider's reference, never downloaded on ingest."""

    id: str
    mime_type: str = ""
    sha256: str = ""
    filename: str = ""
    caption: str = ""
    ref: str = ""
    """How a service downloads it, through the number: ``GET /v1/media/{ref}``."""


@dataclass(frozen=True, slots=True)
class Location:
    """A place the customer shared."""

    latitude: float
    longitude: float
    name: str = ""
    address: str = ""


@dataclass(frozen=True, slots=True)
class ContactPhone:
    """A phone number on a shared contact card."""

    phone: str
    """As the card gives it; not normalized."""
    wa_id: str = ""
    """The number's WhatsApp id, when it has one."""
    type: str = ""
    """``CELL``, ``HOME``, ``WORK``... as the customer's phone labels it."""


@dataclass(frozen=True, slots=True)
class ContactCard:
    """A contact card the customer shared: their own, or someone else's."""

    name: str
    """The name as the card shows it (``formatted_name``)."""
    phones: tuple[ContactPhone, ...] = ()
    emails: tuple[str, ...] = ()
    organization: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "phones": [shallow_dict(phone) for phone in self.phones],
            "emails": list(self.emails),
            "organization": self.organization,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ContactCard:
        return cls(
            name=data.get("name", ""),
            phones=tuple(ContactPhone(**phone) for phone in data.get("phones", ())),
            emails=tuple(data.get("emails", ())),
            organization=data.get("organization", ""),
        )


@dataclass(frozen=True, slots=True)
class Reaction:
    """An emoji the customer put on one of the number's messages, or took off."""

    message_id: str
    """The provider's id of the message reacted to."""
    emoji: str = ""
    """Empty when the customer removed their reaction."""


@dataclass(frozen=True, slots=True)
class Inbound:
    """One message from a customer, as an adapter parsed it off the wire."""

    channel: str
    """``whatsapp``, ``telegram``, ``sms`` or ``web``."""
    number: str
    """The business number it reached, e.g. ``wa:106540352242922`` or ``web:site``."""
    provider_id: str
    """The provider's message id; the dedupe key (CH-7)."""
    sender: Identity
    """The customer's identity on this channel; with ``number`` it names the conversation."""
    kind: MessageKind
    timestamp: float
    text: str = ""
    payload: str = ""
    """The id of a chosen button or list row."""
    media: Media | None = None
    name: str = ""
    """The display name the channel reports for the customer."""
    identities: tuple[Identity, ...] = ()
    """Every identity this message reveals, ``sender`` included."""
    provider_type: str = ""
    """The provider's own type name, kept for ``unsupported`` messages."""
    chat: str = ""
    """The provider's chat, where it differs from the sender (a Telegram group)."""
    reply_to: str = ""
    """The provider id of the message this one answers, when the channel says."""
    reply_to_ours: bool = False
    """Whether the message this one answers is one the bot sent (Telegram)."""
    edit_of: str = ""
    """For an edited message: the provider id of the message it changes."""
    callback: str = ""
    """A Telegram callback query's id, answered once the press is stored."""
    location: Location | None = None
    contacts: tuple[ContactCard, ...] = ()
    reaction: Reaction | None = None
    referral: str = ""
    """``<source_type>:<source_id>`` when the customer wrote from a click-to-WhatsApp ad or
    a Facebook Page call-to-action (Meta's ``referral`` object): a free entry point."""
    attachments: tuple[Media, ...] = ()
    """The message's further files, after ``media`` (an MMS carries up to 10)."""
    forwarded: str = ""
    """``forwarded`` when the customer forwarded it (WhatsApp and Telegram say so), or
    ``frequently_forwarded`` when WhatsApp says it was forwarded many times along."""
    provider_content: str = ""
    """What an ``unsupported`` message carries in the provider's own words (an order, a
    system notice), as JSON: passed on whole, for the services that read it."""
    referred_product: str = ""
    """``<catalog_id>:<product_retailer_id>`` when the customer asked about a catalog's
    product (WhatsApp's ``context.referred_product``)."""
    keyword: str = ""
    """``stop``, ``start`` or ``help`` when the provider says the message is that keyword
    (Twilio's Advanced Opt-Out ``OptOutType``, for the words set there): it decides, over
    the bot's own lists."""

    @property
    def conversation_id(self) -> str:
        return conversation_id(self.number, self.sender)

    @property
    def dedupe_key(self) -> str:
        return f"m:{self.provider_id}"

    def to_dict(self) -> dict[str, Any]:
        data = shallow_dict(self)
        data["sender"] = self.sender.key
        data["identities"] = [identity.key for identity in self.identities]
        data["media"] = shallow_dict(self.media) if self.media else None
        data["location"] = shallow_dict(self.location) if self.location else None
        data["contacts"] = [card.to_dict() for card in self.contacts]
        data["reaction"] = shallow_dict(self.reaction) if self.reaction else None
        data["attachments"] = [shallow_dict(file) for file in self.attachments]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Inbound:
        media, location, reaction = data.get("media"), data.get("location"), data.get("reaction")
        return cls(
            channel=data["channel"],
            number=data["number"],
            provider_id=data["provider_id"],
            sender=Identity.parse(data["sender"]),
            kind=data["kind"],
            timestamp=float(data["timestamp"]),
            text=data.get("text", ""),
            payload=data.get("payload", ""),
            media=Media(**media) if media else None,
            name=data.get("name", ""),
            identities=tuple(Identity.parse(key) for key in data.get("identities", ())),
            provider_type=data.get("provider_type", ""),
            chat=data.get("chat", ""),
            reply_to=data.get("reply_to", ""),
            reply_to_ours=bool(data.get("reply_to_ours", False)),
            edit_of=data.get("edit_of", ""),
            callback=data.get("callback", ""),
            location=Location(**location) if location else None,
            contacts=tuple(ContactCard.from_dict(card) for card in data.get("contacts", ())),
            reaction=Reaction(**reaction) if reaction else None,
            referral=data.get("referral", ""),
            attachments=tuple(Media(**file) for file in data.get("attachments", ())),
            forwarded=data.get("forwarded", ""),
            provider_content=data.get("provider_content", ""),
            referred_product=data.get("referred_product", ""),
            keyword=data.get("keyword", ""),
        )


@dataclass(frozen=True, slots=True)
class Pricing:
    """How Meta bills a message, from the ``pricing`` object of its status webhook.

    https://developers.facebook.com/documentation/business-messaging/whatsapp/pricing
    """

    billable: bool
    pricing_model: str = ""
    """``PMP`` (per-message pricing) or the older ``CBP``."""
    type: str = ""
    """``regular`` (charged), ``free_customer_service`` or ``free_entry_point``."""
    category: str = ""
    """``marketing``, ``utility``, ``authentication``, ``authentication-international``,
    ``service`` or ``referral_conversion`` (part of a free entry point window)."""


@dataclass(frozen=True, slots=True)
class StatusUpdate:
    """A delivery receipt for a message the number sent (sent, delivered, read, failed)."""

    channel: str
    number: str
    provider_message_id: str
    recipient: Identity
    status: DeliveryStatus
    timestamp: float
    error: str = ""
    pricing: Pricing | None = None
    """How Meta bills the message, when the status says (sent, delivered)."""
    error_code: str = ""
    """The provider's code of a failure (Meta's ``errors[].code``, Twilio's ``ErrorCode``)."""
    also: Identity | None = None
    """The recipient's business-scoped user id, when Meta gives it beside their phone: the
    message may have gone to it, and be kept in that conversation."""

    @property
    def conversation_id(self) -> str:
        return conversation_id(self.number, self.recipient)

    @property
    def dedupe_key(self) -> str:
        # A message goes through several statuses; each one is delivered once (CH-7).
        return f"s:{self.provider_message_id}:{self.status}"

    def to_dict(self) -> dict[str, Any]:
        data = shallow_dict(self)
        data["recipient"] = self.recipient.key
        data["pricing"] = shallow_dict(self.pricing) if self.pricing else None
        if self.also is None:
            del data["also"]
        else:
            data["also"] = self.also.key
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StatusUpdate:
        pricing, also = data.get("pricing"), data.get("also")
        return cls(
            **{
                **data,
                "recipient": Identity.parse(data["recipient"]),
                "pricing": Pricing(**pricing) if pricing else None,
                "also": Identity.parse(also) if also else None,
            }
        )


@dataclass(frozen=True, slots=True)
class Outbound:
    """A message to a customer, queued by automation, an agent or a service."""

    send_id: str
    """Idempotency key: redoing the work that queued it yields the same id (REL-3)."""
    conversation_id: str
    channel: str
    number: str
    recipient: Identity
    text: str
    service: str
    """The service that sent it; ``bot`` for the runtime's own automation."""
    agent: str = ""
    template: dict[str, Any] | None = None
    created_at: float = field(default_factory=time.time)
    profile: str = ""
    """The customer's profile, which tracked links in the text name (PS-3)."""
    buttons: tuple[str, ...] = ()
    """Choices offered with the text: inline keyboards on Telegram, numbered on SMS."""
    reply_to: str = ""
    """The provider id of a message this one answers (a post in the team chat)."""
    required: bool = False
    """Sent even to a customer who opted out: an answer the channel's rules demand (HELP)."""
    media: dict[str, str] | None = None
    """An image, document, audio or video sent as each channel sends files: ``kind``;
    ``link``, ``upload`` (a file kept here, with its ``content_type`` and signed ``url``)
    or ``id`` (Meta's, WhatsApp only); ``caption`` and ``filename`` when given."""
    tracked: tuple[str, ...] | None = None
    """The URLs of the text that become tracked links (PS-3): those the business wrote
    (its automation's texts, a campaign's), never one a customer's answer or name put in
    it, which would be a link of ours to anywhere. None: every URL (a service's text)."""
    targets: tuple[tuple[str, str], ...] = ()
    """Each tracked URL of the text with its tracked link, for a channel that shows the
    text as written and opens the tracked link (the web chat); made at the send, never
    queued."""

    def to_dict(self) -> dict[str, Any]:
        data = shallow_dict(self)
        data["recipient"] = self.recipient.key
        data["buttons"] = list(self.buttons)
        if self.tracked is None:
            del data["tracked"]
        else:
            data["tracked"] = list(self.tracked)
        del data["targets"]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Outbound:
        tracked = data.get("tracked")
        return cls(
            **{
                **data,
                "recipient": Identity.parse(data["recipient"]),
                "buttons": tuple(data.get("buttons", ())),
                "tracked": None if tracked is None else tuple(tracked),
            }
        )


@dataclass(frozen=True, slots=True)
class Event:
    """One signed fan-out event (SN-9): what every attached service hears about."""

    id: str
    type: str
    timestamp: float
    number: str
    data: dict[str, Any]

    @classmethod
    def new(
        cls, type: str, number: str, data: dict[str, Any], *, id: str = "", at: float = 0.0
    ) -> Event:
        """An event of now, or of ``at`` (unix seconds) when given."""
        return cls(
            id=id or new_id("evt"), type=type, timestamp=at or time.time(), number=number, data=data
        )

    def to_json(self) -> str:
        return compact_json(shallow_dict(self))

    @classmethod
    def from_json(cls, raw: str | bytes) -> Event:
        return cls(**parse_json(raw))


@dataclass(frozen=True, slots=True)
class Service:
    """A consumer of a number's conversations, reached by signed webhooks."""

    name: str
    url: str
    secret: str = field(repr=False)
    mask: bool = True
    """Hide the content of other services' replies from this one (SN-3)."""
    automation: dict[str, Any] | None = field(default=None, compare=False)
    """Its auto-replies, as configured; they run only while it is the parent (SN-6)."""
    batch: int = 0
    """At most this many events in one signed POST, ``{"events": [...]}``, when it opted in
    to batched delivery; 0: one event per POST, as sent to every other service."""


MAX_BATCH = 500
"""The most events a service may take in one batched POST."""


@dataclass(frozen=True, slots=True)
class Claim:
    """Who holds a conversation, for which service, since when (unix seconds); SN-5."""

    service: str
    agent: str
    since: float

    def to_dict(self) -> dict[str, Any]:
        return {"service": self.service, "agent": self.agent, "since": self.since}


@dataclass(frozen=True, slots=True)
class Attachment:
    """A number's services before and after an attach or a detach; the first is parent."""

    number: str
    before: tuple[str, ...]
    after: tuple[str, ...]


DEFAULT_CAPS: Mapping[str, int] = {
    "ext": 1,
    "phone": 5,
    "wa": 5,
    "wauser": 5,
    "email": 5,
    "tg": 5,
    "vid": 50,
}
_BLOCKED_PATTERN = re.compile(r"^[0-]*$")
_BLOCKED_WORDS = frozenset({"null", "nil", "none", "undefined", "anonymous", "unknown", "n/a"})


@dataclass(frozen=True, slots=True)
class MergePolicy:
    """What a profile may hold: at most ``caps[kind]`` identities of a kind, and never a
    blocked value (a placeholder, or a number shared by many such as an office line)."""

    caps: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_CAPS))
    blocked: frozenset[str] = frozenset()
    """Identity keys (``phone:+442079460000``) that never join a profile."""

    def is_blocked(self, identity: Identity) -> bool:
        value = identity.value.lstrip("+").strip().lower()
        return (
            bool(_BLOCKED_PATTERN.match(value))
            or value in _BLOCKED_WORDS
            or identity.key in self.blocked
        )

    def cap(self, kind: str) -> int:
        return int(self.caps.get(kind, 0)) or 1_000_000

    def within_caps(self, identities: Sequence[Identity]) -> tuple[list[Identity], list[Identity]]:
        """What a new profile may hold of ``identities``, the first of each kind kept (the
        channel's own identity comes first), and what is past its kind's cap."""
        counts: dict[str, int] = {}
        lines: set[str] = set()
        kept: list[Identity] = []
        over: list[Identity] = []
        for identity in identities:
            # An Argentine phone's two forms (+54 9 ... and +54 ...) are one line.
            line = identity.key
            if line.startswith("phone:+549"):
                line = "phone:+54" + line[10:]
            if line not in lines:
                lines.add(line)
                counts[identity.kind] = counts.get(identity.kind, 0) + 1
            (kept if counts[identity.kind] <= self.cap(identity.kind) else over).append(identity)
        return kept, over


def shallow_dict(value: Any) -> dict[str, Any]:
    """A dataclass's fields as a dict, without ``asdict``'s deep copy (it is on the hot path)."""
    return {name: getattr(value, name) for name in value.__dataclass_fields__}


# orjson refuses what it cannot write as the standard library would, and it is handed on:
# a dataclass, a date, a subclass of str or dict (the standard library refuses the first two).
_STRICT = orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_DATETIME
_STRICT |= orjson.OPT_PASSTHROUGH_SUBCLASS


def compact_json(value: Any) -> str:
    """``json.dumps(value, separators=(",", ":"), ensure_ascii=False)``, made by orjson:
    the same text but for floats in exponent form (``1e-05`` is written ``0.00001``,
    ``1e+16`` ``1e16``: the same numbers). What orjson refuses (a lone surrogate, an
    integer beyond 64 bits, a key not a string) and what it writes otherwise (NaN and
    infinities, which it writes as null) are written by the json module, as before."""
    try:
        written = orjson.dumps(value, option=_STRICT)
    except TypeError:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    if b"null" in written and not _finite(value):  # the look only where a null may be one
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return written.decode()


def _finite(value: Any) -> bool:
    """No NaN or infinity anywhere in ``value``."""
    kind = type(value)
    if kind is float:
        return bool(value - value == 0.0)  # inf - inf and NaN - NaN are NaN
    if kind is dict:
        return all(map(_finite, value.values()))
    if kind is list or kind is tuple:
        return all(map(_finite, value))
    return True


_DIGITS_AS_ZEROS = bytes(ord("0") if byte in b"0123456789" else ord(" ") for byte in range(256))
_LONG_RUN = b"0" * 19
_FEW_BRACKETS = 256
"""orjson nests as deep as it is given (the json module stops at the interpreter's
recursion limit, so that what is read can be walked); fewer brackets than this cannot nest
beyond what the json module reads."""


def orjson_reads_alike(raw: str | bytes) -> bool:
    """Whether orjson reads ``raw`` as the json module does, as far as a quick look at it
    tells (a microsecond or so for a webhook): not with 19 digits in a row, maybe an
    integer beyond 64 bits (orjson reads it as a float, the json module as an int); not
    text that is not UTF-8 (a lone surrogate, refused by orjson); not with so many
    brackets that it may nest deeper than the json module reads."""
    if isinstance(raw, str):
        try:
            raw = raw.encode()
        except UnicodeEncodeError:
            return False
    if raw.count(b"[") + raw.count(b"{") > _FEW_BRACKETS:
        return False
    return _LONG_RUN not in raw.translate(_DIGITS_AS_ZEROS)


def parse_json(raw: str | bytes) -> Any:
    """``json.loads(raw)``, by orjson where it reads the same: not where an integer may be
    beyond 64 bits, nor what orjson refuses (a lone surrogate, a byte order mark)."""
    if orjson_reads_alike(raw):
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass
    return json.loads(raw)


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(10)}"


def derived_id(prefix: str, *parts: str) -> str:
    """An id that is the same every time the same work is redone, so redoing is harmless."""
    digest = hashlib.blake2b("\x1f".join(parts).encode(), digest_size=10).hexdigest()
    return f"{prefix}_{digest}"


MAX_NAME = 200
"""Characters of a name a channel gives a customer kept at most (Telegram's first and last
names are 64 each; WhatsApp's profile names are shorter)."""
DIRECTION_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
"""The embeddings, overrides and isolates that change the direction of the text after
them (a name is shown in others' text: the marks U+200E and U+200F only mark its own)."""
_HIDDEN = re.compile(f"[{DIRECTION_CONTROLS}]")
"""Bidirectional overrides and isolates: they make a name read as other text."""


TEXT_CONTROLS = "\n\r\t"
"""The control characters a text of the API (and a field of an import) may hold."""


def has_control_characters(text: str, allowed: str = "\n\t") -> bool:
    """Control characters other than ``allowed`` (newline and tab): nothing a person types
    on purpose."""
    return any(unicodedata.category(c) == "Cc" and c not in allowed for c in text)


def display_name(raw: object) -> str:
    """A customer's name as a channel gave it, safe to keep and to show: on one line (a
    new line in a name would forge a line of a daily note), without control characters
    or bidirectional overrides, at most ``MAX_NAME`` characters."""
    text = "".join(" " if unicodedata.category(c) == "Cc" else c for c in str(raw or ""))
    return " ".join(_HIDDEN.sub("", text).split())[:MAX_NAME]


def indented(text: str, indent: str = "    ") -> str:
    """Text someone else wrote, shown after a line's start (``HH:MM Ann: …``): each of its
    further lines (a newline, a carriage return, a Unicode line or paragraph separator)
    indented, so that none reads as a line of its own."""
    return ("\n" + indent).join(str(text).splitlines()) if text else ""


def number_named(numbers: Collection[str], given: str) -> str:
    """``given`` if it is one of ``numbers``, else the one number that starts with it
    (``wa`` for the WhatsApp number); '' when none does, or several."""
    if given in numbers:
        return given
    found = [number for number in numbers if given and number.startswith(given)]
    return found[0] if len(found) == 1 else ""


def conversation_id(number: str, customer: Identity) -> str:
    """The ONE conversation between a number and a customer's channel identity; the two
    forms of one person's WhatsApp id are one conversation (``whatsapp_key``)."""
    return _conversation_id(number, customer.key)


@functools.lru_cache(maxsize=65_536)
def _conversation_id(number: str, customer: str) -> str:
    """A hash asked for several times per message (routing, threads, events, logs): the
    recent customers' are kept, at about 200 bytes each."""
    if customer.startswith("wa:"):
        customer = "wa:" + whatsapp_key(customer[3:])
    return derived_id("c", number, customer)


def whatsapp_key(wa_id: str) -> str:
    """A WhatsApp id in the form of its phone's E.164 digits, where a country's ids and
    phones differ: Mexico's ids keep the ``1`` after 52 that its numbers dropped in 2019,
    older Brazilian accounts' lack the ninth (mobile) digit, Argentina's mobiles are
    54 9 .... A service writing first to the phone's form, and Meta answering (receipts,
    the customer's reply) in the account's, meet in one conversation."""
    if wa_id.startswith("521") and len(wa_id) == 13:
        return "52" + wa_id[3:]
    if wa_id.startswith("55") and len(wa_id) == 12 and wa_id[4] in "6789":
        return wa_id[:4] + "9" + wa_id[4:]
    if wa_id.startswith("54") and not wa_id.startswith("549") and len(wa_id) == 12:
        return "549" + wa_id[2:]
    return wa_id
