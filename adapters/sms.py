"""Twilio-compatible SMS: webhook signatures and forms, segments, choices, keywords, sending."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
from collections.abc import Mapping, Sequence
from typing import Any, Literal
from urllib.parse import quote, urlsplit, urlunsplit

import aiohttp

from adapters import provider
from bot.identities import InvalidPhoneError, normalize_phone
from bot.model import DeliveryStatus, Identity, Inbound, Media, MessageKind, StatusUpdate

Encoding = Literal["GSM-7", "UCS-2"]
Keyword = Literal["stop", "start", "help"]

MAX_BODY_CHARS = 1600
"""Twilio's limit on one message body, inbound or outbound (error 21617)."""
MAX_FIELD_CHARS = 4096
"""Characters of a field the bot reads; the fields it does not read are not looked at:
Twilio adds fields without notice, and ``AddOns`` (an add-on's results) runs to kilobytes."""
_READ = re.compile(
    r"Body|From|To|MessageSid|SmsSid|SmsMessageSid|AccountSid|MessagingServiceSid"
    r"|MessageStatus|SmsStatus|ErrorCode|NumMedia|Media(Url|ContentType)[0-9]+|OptOutType"
)
OPT_OUT_TYPES: dict[str, Keyword] = {"STOP": "stop", "START": "start", "HELP": "help"}
"""Twilio's ``OptOutType`` (Advanced Opt-Out): the keyword it took the message for."""
MAX_MEDIA = 10
RETRYABLE_CODES = frozenset({20429})
"""Twilio's "Too Many Requests"; any 429 or 5xx is retryable as well."""
OPTED_OUT_CODE = 21610
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
"""The answer to an inbound webhook that sends no reply through TwiML."""

# Twilio's MessageStatus values we report; queued, accepted, scheduled and sending are
# interim and acknowledged without an update, as are values Twilio may add later.
STATUSES: dict[str, DeliveryStatus] = {
    "sent": "sent",
    "delivered": "delivered",
    "read": "read",
    "failed": "failed",
    "undelivered": "failed",
    "canceled": "failed",
}
KEYWORDS: dict[str, Keyword] = {
    # Twilio's default opt-out words (https://www.twilio.com/docs/messaging/tutorials/advanced-opt-out):
    # "STOP, UNSUBSCRIBE, END, QUIT, STOPALL, REVOKE, OPTOUT, and CANCEL"; and STOP ALL.
    **dict.fromkeys(
        ("STOP", "STOPALL", "STOP ALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE"),
        "stop",
    ),
    # The FCC's words for revoking consent (2024): "opt out" among them.
    **dict.fromkeys(("OPTOUT", "OPT OUT", "OPT-OUT"), "stop"),
    **dict.fromkeys(("START", "YES", "UNSTOP"), "start"),
    **dict.fromkeys(("HELP", "INFO"), "help"),
}
ALSO_ANSWERS = frozenset({"YES"})
"""Opt-in words that are also what a customer says to a question: from a customer who has
not opted out, they answer a guided conversation's question."""

# GSM 03.38: the basic set (ESC excluded) and the extension table, whose characters
# are sent as ESC + char and so take two septets.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

_MEDIA_KINDS: dict[str, MessageKind] = {"image": "image", "audio": "audio", "video": "video"}
_E164 = re.compile(r"\+[1-9][0-9]{1,14}")
_SID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_NUMBERED = re.compile(r"(\d{1,4})\s*[.)]?")


class PayloadError(ValueError):
    """A webhook form that is not a Twilio message or status callback."""


class ProviderError(provider.ProviderError):
    """Twilio refused a send; ``retryable`` says whether trying again may work."""

    provider = "Twilio"
    retryable_codes = RETRYABLE_CODES

    @property
    def opted_out(self) -> bool:
        """The recipient texted STOP to this sender (21610); only START lifts it."""
        return self.code == OPTED_OUT_CODE


# -- signatures ------------------------------------------------------------------------


def compute_signature(auth_token: str, url: str, params: Mapping[str, Any]) -> str:
    """``X-Twilio-Signature``: base64 HMAC-SHA1, keyed by the auth token, of the URL
    followed by every parameter as name + value, sorted by name.

    A repeated name (a ``MultiDict``, or a list value) contributes each value, sorted,
    as Twilio's helper libraries do. Raises PayloadError on a value that is not text.
    """
    data = url + "".join(
        name + value for name in sorted(set(params)) for value in sorted(_values(params, name))
    )
    digest = hmac.new(
        auth_token.encode(), data.encode("utf-8", "surrogatepass"), hashlib.sha1
    ).digest()
    return base64.b64encode(digest).decode()


def verify_signature(
    auth_token: str, url: str, params: Mapping[str, Any], signature: str | None
) -> bool:
    """Check ``X-Twilio-Signature`` for a POST to ``url`` (the URL Twilio was given,
    query string included) carrying the form ``params``.

    Like Twilio's libraries, it also accepts the URL with its port removed or the
    default port added, since Twilio signs whichever form it was configured with.
    """
    if not signature or not auth_token:
        return False
    try:
        return any(
            _same(compute_signature(auth_token, candidate, params), signature)
            for candidate in _url_variants(url)
        )
    except PayloadError:
        return False


def _values(params: Mapping[str, Any], name: str) -> list[str]:
    getall = getattr(params, "getall", None)
    values = list(getall(name)) if callable(getall) else params[name]
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, list | tuple) or not all(isinstance(v, str) for v in values):
        raise PayloadError(f"form field {name!r} is not text")
    return list(values)


def _url_variants(url: str) -> list[str]:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return [url]
    if port is not None:
        host = parts.netloc.rsplit(":", 1)[0]
    elif parts.scheme in ("http", "https") and parts.netloc:
        host = f"{parts.netloc}:{443 if parts.scheme == 'https' else 80}"
    else:
        return [url]
    return [url, urlunsplit(parts._replace(netloc=host))]


def _same(given: str, expected: str) -> bool:
    """Constant-time comparison that also takes hostile non-ASCII input (compared as bytes)."""
    return hmac.compare_digest(
        given.encode("utf-8", "surrogatepass"), expected.encode("utf-8", "surrogatepass")
    )


# -- webhook forms ---------------------------------------------------------------------


# Twilio's address of a sender on another channel: ``whatsapp:+1...``, ``messenger:...``.
_ANOTHER_CHANNEL = re.compile(r"[a-z]+:")


def parse_webhook(form: Mapping[str, Any], number: str) -> list[Inbound | StatusUpdate]:
    """The inbound message or delivery status in a webhook form, if it is ``number``'s.

    ``form`` maps names to text or to lists of text (a MultiDict works too).

    ``number`` is our sender as configured: an E.164 number or a Messaging Service SID
    (``MG...``). Forms for other senders, and interim statuses such as ``queued``, give
    an empty list; a form that is neither valid kind raises PayloadError.
    """
    fields = _fields(form)
    sid = fields.get("MessageSid") or fields.get("SmsSid", "")
    if not _SID.fullmatch(sid):
        raise PayloadError("MessageSid is missing or is not a message SID")
    service = fields.get("MessagingServiceSid")
    is_status = "MessageStatus" in fields and "Body" not in fields
    sender = fields.get("From" if is_status else "To")
    if (service or sender) and number not in (service, sender):
        # Another sender's, whatever its shape (a WhatsApp message through Twilio, whose
        # From is no phone number): left be, and the caller says so.
        return []
    if _ANOTHER_CHANNEL.match(sender or ""):
        # Another channel's sender in our Messaging Service's pool (``whatsapp:+1...``),
        # which shares its webhook: left be, and the caller says so.
        return []
    if is_status:
        status = _status(fields, sid, f"sms:{number}")
        ours = bool(number) and number in (service, fields.get("From"))
        return [status] if ours and status else []
    if "Body" not in fields:
        raise PayloadError("neither a message (no Body) nor a status callback (no MessageStatus)")
    message = _inbound(fields, sid, f"sms:{number}")
    # A form from our own number is none of a customer's (Twilio sends it no message).
    ours = bool(number) and number in (service, fields.get("To"))
    ours = ours and message.sender.value != number
    return [message] if ours else []


def sent_elsewhere(form: Mapping[str, Any], number: str) -> str:
    """The sender a message or status form is about when it is not ``number`` (our
    ``SMS_FROM``): a Twilio number pointed at this webhook but not configured here; ''
    for one of ours, or a form of neither kind."""
    try:
        fields = _fields(form)
    except PayloadError:
        return ""
    service = fields.get("MessagingServiceSid", "")
    ours = fields.get("From" if "MessageStatus" in fields and "Body" not in fields else "To", "")
    if not number or (number in (service, ours) and not _ANOTHER_CHANNEL.match(ours)):
        return ""
    return ours or service


def another_channel(sender: str) -> bool:
    """Whether ``sender`` (from :func:`sent_elsewhere`) is another channel's, such as
    ``whatsapp:+14155550100``, rather than an SMS number or service."""
    return bool(_ANOTHER_CHANNEL.match(sender))


def _fields(form: Mapping[str, Any]) -> dict[str, str]:
    if not isinstance(form, Mapping):
        raise PayloadError("not a form: expected a mapping of field names to text")
    fields: dict[str, str] = {}
    for name in form:
        value = form[name]
        if isinstance(value, list | tuple):  # {name: [values]}, as from MultiDict.getall
            if not value:
                continue
            value = value[0]  # Twilio sends each field once; a repeat keeps the first
        if isinstance(name, str) and not _READ.fullmatch(name):
            continue  # not read: kept out of the message whatever it holds
        if not isinstance(name, str) or not isinstance(value, str):
            raise PayloadError(f"form field {str(name)[:40]!r} is not text (a file upload?)")
        if "\x00" in name or "\x00" in value:
            raise PayloadError(f"form field {name[:40]!r} contains a NUL character")
        limit = MAX_BODY_CHARS if name == "Body" else MAX_FIELD_CHARS
        if len(value) > limit:
            raise PayloadError(f"form field {name[:40]!r} is longer than {limit} characters")
        fields.setdefault(name, value)
    return fields


def _phone(fields: dict[str, str], name: str) -> Identity:
    value = fields.get(name, "")
    if not _E164.fullmatch(value):
        raise PayloadError(f"{name} must be an E.164 phone number such as +14155550100")
    try:
        return normalize_phone(value, "")
    except InvalidPhoneError:
        raise PayloadError(f"{name} {value!r} is not a phone number of any country") from None


def _inbound(fields: dict[str, str], sid: str, number: str) -> Inbound:
    sender = _phone(fields, "From")
    body = fields["Body"]
    try:
        num_media = int(fields.get("NumMedia", "0"))
    except ValueError:
        raise PayloadError("NumMedia must be a whole number") from None
    if not 0 <= num_media <= MAX_MEDIA:
        raise PayloadError(f"NumMedia must be between 0 and {MAX_MEDIA}")
    kind: MessageKind = "text"
    files = []
    for index in range(num_media):
        url = fields.get(f"MediaUrl{index}", "")
        mime_type = fields.get(f"MediaContentType{index}", "")
        if not url.startswith(("https://", "http://")):
            raise PayloadError(f"MediaUrl{index} must be an http(s) URL, one for each of NumMedia")
        caption = body if not index else ""
        files.append(Media(id=url, mime_type=mime_type, caption=caption, ref=media_ref(url)))
    media = files[0] if files else None
    if media:
        kind = _media_kind(media.mime_type)
    return Inbound(
        channel="sms",
        number=number,
        provider_id=sid,
        sender=sender,
        kind=kind,
        timestamp=time.time(),  # Twilio's form carries no send time
        text=body,
        media=media,
        identities=(sender,),
        provider_type="mms" if num_media else "sms",
        attachments=tuple(files[1:]),
        keyword=OPT_OUT_TYPES.get(fields.get("OptOutType", "").strip().upper(), ""),
    )


_MEDIA_URL = re.compile(r"/Messages/((?:MM|SM)[0-9a-f]{32})/Media/(ME[0-9a-f]{32})$")


def media_ref(url: str) -> str:
    """The ``GET /v1/media/{ref}`` of an MMS's file: ``sms_<message sid>_<media sid>``,
    from its MediaUrl; empty for a URL of another shape."""
    found = _MEDIA_URL.search(urlsplit(url).path)
    return f"sms_{found.group(1)}_{found.group(2)}" if found else ""


def _media_kind(mime_type: str) -> MessageKind:
    return _MEDIA_KINDS.get(mime_type.partition("/")[0].strip().lower(), "document")


def _status(fields: dict[str, str], sid: str, number: str) -> StatusUpdate | None:
    state = fields["MessageStatus"].lower()
    if state not in STATUSES:
        return None
    error = code = ""
    if STATUSES[state] == "failed":
        code = fields.get("ErrorCode", "")
        code = code if code.isdigit() and len(code) <= 10 else ""
        error = f"{state} (Twilio error {code})" if code else state
    return StatusUpdate(
        channel="sms",
        number=number,
        provider_message_id=sid,
        recipient=_phone(fields, "To"),
        status=STATUSES[state],
        timestamp=time.time(),
        error=error,
        error_code=code,
    )


# -- what the channel can carry --------------------------------------------------------


def count_segments(text: str) -> tuple[Encoding, int, int]:
    """How ``text`` travels: its encoding, its number of segments and the units each
    segment holds (160/153 septets for GSM-7, 70/67 UTF-16 units for UCS-2).

    A character's units are never split across two segments: an extension character's
    ESC pair and an emoji's surrogate pair move whole to the next one.
    """
    encoding: Encoding
    if all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text):
        encoding, single, part = "GSM-7", 160, 153
        units = [2 if ch in GSM7_EXTENSION else 1 for ch in text]
    else:
        encoding, single, part = "UCS-2", 70, 67
        units = [2 if ord(ch) > 0xFFFF else 1 for ch in text]
    if sum(units) <= single:
        return encoding, 1, single
    segments, free = 1, part
    for size in units:
        if size > free:
            segments, free = segments + 1, part
        free -= size
    return encoding, segments, part


def render_choices(text: str, choices: Sequence[str]) -> str:
    """``text`` followed by the options as numbered lines, SMS's stand-in for buttons."""
    if not choices:
        raise ValueError("render_choices needs at least one choice")
    lines = [f"{n}. {choice}" for n, choice in enumerate(choices, 1)]
    return "\n".join([text, *lines] if text else lines)


def body_length(text: str) -> int:
    """``text``'s length as Twilio counts it against ``MAX_BODY_CHARS``: an emoji, or any
    character beyond the Basic Multilingual Plane, counts as two (UTF-16)."""
    return len(text) + sum(1 for c in text if c > "\uffff")


def body_problem(text: str, choices: Sequence[str] = ()) -> str | None:
    """Why ``text`` with ``choices`` cannot go as one SMS, or None: Twilio refuses a body of
    more than ``MAX_BODY_CHARS`` (21617), the numbered choices included, an emoji counted
    as two."""
    body = render_choices(text, choices) if choices else text
    length = body_length(body)
    if length <= MAX_BODY_CHARS:
        return None
    return (
        f"an SMS is at most {MAX_BODY_CHARS} characters, numbered choices included, an "
        f"emoji counted as two (this one has {length})"
    )


def split_body(text: str, choices: Sequence[str] = ()) -> list[str]:
    """``text`` in as many SMS as it needs, each at most ``MAX_BODY_CHARS`` (the numbered
    ``choices`` to go with the last), cut after a line or a word where one is near."""
    room = MAX_BODY_CHARS - (body_length(render_choices("", choices)) + 1 if choices else 0)
    if body_length(text) <= room:
        return [text]
    parts: list[str] = []
    rest = text.strip()
    while body_length(rest) > room:
        fits = _fitting(rest, room)
        cut = max(rest.rfind("\n", 0, fits + 1), rest.rfind(" ", 0, fits + 1))
        if cut < fits // 2:  # no break near the end: cut in the word
            cut = fits
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    return [*parts, rest]


def _fitting(text: str, room: int) -> int:
    """How many of ``text``'s first characters fit in ``room`` as Twilio counts them."""
    used = 0
    for n, c in enumerate(text):
        used += 2 if c > "\uffff" else 1
        if used > room:
            return n
    return len(text)


def pick_choice(reply: str, choices: Sequence[str]) -> int | None:
    """The index in ``choices`` a reply picks: by number ("2", "2.", " 2 ") or by the
    option's text, case-insensitive; None if it picks nothing."""
    answer = reply.strip()
    numbered = _NUMBERED.fullmatch(answer)
    if numbered and 1 <= int(numbered[1]) <= len(choices):
        return int(numbered[1]) - 1
    wanted = answer.casefold()
    if not wanted:
        return None
    for index, choice in enumerate(choices):
        if wanted in (choice.strip().casefold(), f"{index + 1}. {choice}".strip().casefold()):
            return index
    return None


KEYWORD_EDGES = " .,!?;:'\"()*\u00a1\u00bf\u00ab\u00bb\u2018\u2019\u201c\u201d\u2026"
"""What a keyword may come with and still be the keyword: "Stop." and "stop!" are STOP,
and so are a phone's typographic quotes and ellipsis (“Stop”, Stop…) and Spanish's ¡ ¿."""
_HYPHENS = str.maketrans({"\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-"})
"""Hyphens a keyboard may put in "opt-out" for the ASCII one."""


def keyword_word(body: str) -> str:
    """A whole message as a keyword is looked up: upper case, single spaces, without the
    punctuation around it; '' for a message that is no ASCII word."""
    word = " ".join(body.translate(_HYPHENS).split()).strip(KEYWORD_EDGES)
    # ASCII only: str.upper() maps the long s (U+017F) to "S", and carriers match plain letters.
    return " ".join(word.split()).upper() if word.isascii() else ""


def keyword(body: str) -> Keyword | None:
    """The carrier keyword a whole message is (STOP, START, HELP and their synonyms)."""
    return KEYWORDS.get(keyword_word(body))


# -- sending ---------------------------------------------------------------------------


class SMSClient:
    """Sends through ``POST {base}/2010-04-01/Accounts/{sid}/Messages.json`` on one session.

    ``sender`` is a number in E.164 (sent as ``From``) or a Messaging Service SID
    (``MG...``, sent as ``MessagingServiceSid``).
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        api_base: str,
        account_sid: str,
        auth_token: str,
        sender: str,
    ) -> None:
        self.session = session
        self.url = (
            f"{api_base.rstrip('/')}/2010-04-01/Accounts/{quote(account_sid, safe='')}"
            "/Messages.json"
        )
        self.sender = sender
        credentials = base64.b64encode(f"{account_sid}:{auth_token}".encode()).decode()
        self._headers = {"Authorization": f"Basic {credentials}"}

    def __repr__(self) -> str:
        return f"SMSClient(url={self.url!r}, sender={self.sender!r})"  # never the token (REL-5)

    async def send(
        self, to: str, text: str, status_callback: str | None = None, media_url: str = ""
    ) -> str:
        """Send ``text`` to ``to`` (an MMS with the file at ``media_url``, which Twilio
        fetches); Twilio's message SID. Raises ProviderError."""
        sender_field = "MessagingServiceSid" if self.sender.startswith("MG") else "From"
        form = {"To": to, sender_field: self.sender, "Body": text}
        if media_url:
            form["MediaUrl"] = media_url
        if status_callback:
            form["StatusCallback"] = status_callback
        async with self.session.post(self.url, data=form, headers=self._headers) as response:
            try:
                data = await response.json(content_type=None)
            except ValueError:
                data = None
            if not isinstance(data, dict):
                data = {}
            sid = data.get("sid")
            if response.status in (200, 201) and isinstance(sid, str) and sid:
                return sid
            code = data.get("code")
            raise ProviderError(
                response.status,
                code if isinstance(code, int) else 0,
                str(data.get("message") or "unexpected response"),
                provider.retry_after_seconds(response.headers.get("Retry-After")),
            )
