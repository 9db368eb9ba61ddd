"""Tracked links (PS-3): signed tokens naming a profile, a message and a target, and the
rewriting of the URLs of outbound text into ``{public_url}/l/{token}``."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
from collections.abc import Awaitable, Callable, Collection, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import idna

from bot.config.environment import MIN_LINK_SECRET as MIN_SECRET
from bot.config.settings import ConfigError
from stores.secrets import SecretStore

MAX_TOKEN = 2048
"""Characters; a longer token is refused before any decoding work."""
MAX_TARGET = 2000
MAX_ID = 128
MAC_BYTES = 16
VERSION = "1"
SECRET_ENV = "SWITCHBOARD_LINK_SECRET"

_TOKEN = re.compile(r"[A-Za-z0-9_-]+")
_ID = re.compile(r"[\x21-\x7e]+")
# A scheme follows no letter or digit, so "xhttps://" or "myhttp://" is not a link (an
# underscore may come before it: WhatsApp's _italic_). A URL ends before prose's own
# punctuation of other scripts, quotes and ellipses, which no link holds unencoded.
_URL = re.compile(
    r"(?<![^\W_])https?://"
    r"[^\s<>\"'`{}|\\^\u00ab\u00bb\u2018-\u201f\u2039\u203a\u2026\u3001\u3002\u3008-\u3011"
    r"\u3014\u3015\uff01\uff08\uff09\uff0c\uff0e\uff1a\uff1b\uff1f]+",
    re.IGNORECASE,
)
_MARKERS = "_~*"
"""WhatsApp's formatting around a link (``_italic_``, ``~struck~``, ``*bold*``)."""
_TRAILING = ".,;:!?*"
_PAIRS = {")": "(", "]": "["}
# Characters left as they are when a non-ASCII URL is percent-encoded: RFC 3986's
# reserved and unreserved sets, and "%" so that existing escapes are not encoded twice.
_URL_SAFE = "!#$%&'()*+,/:;=?@[]~-._"


@dataclass(frozen=True, slots=True)
class Link:
    """What a verified token names: who got the link, in which message, and where it goes."""

    profile: str
    message: str
    target: str


def _ascii_host(host: str) -> str:
    """A host name as browsers (WHATWG URL) send it: UTS 46 without the transitional
    mappings, so straße.de is xn--strae-oqa.de (Python's own codec, IDNA 2003, makes it
    strasse.de, another domain). A symbol IDNA 2008 does not take (☃.net), which browsers
    do, is written as IDNA 2003 writes it: for those the two agree."""
    try:
        return idna.encode(host, uts46=True).decode("ascii")
    except idna.IDNAError:
        return host.encode("idna").decode("ascii")


def safe_target(url: str) -> str | None:
    """``url`` as an ASCII http(s) URL with a host, or None when it cannot be a target."""
    if not isinstance(url, str) or not url or len(url) > MAX_TARGET:
        return None
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in url):
        return None
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        if parts.scheme.lower() not in ("http", "https") or not host:
            return None
        if not url.isascii():
            # A Location header is ASCII: the host in IDNA, everything else percent-encoded.
            ascii_host = host
            if ":" in host:  # an IPv6 literal keeps its brackets
                ascii_host = f"[{host}]"
            elif not host.isascii():
                ascii_host = _ascii_host(host)
            userinfo = parts.netloc.rpartition("@")[0]
            port = f":{parts.port}" if parts.port else ""
            netloc = (f"{userinfo}@" if userinfo else "") + ascii_host + port
            url = quote(parts._replace(netloc=netloc).geturl(), safe=_URL_SAFE)
    except (ValueError, UnicodeError):
        return None
    return url if len(url) <= MAX_TARGET else None


def _clean_id(value: str, what: str) -> str:
    if not isinstance(value, str) or not 0 < len(value) <= MAX_ID or not _ID.fullmatch(value):
        raise ValueError(f"a link's {what} is 1 to {MAX_ID} printable ASCII characters")
    return value


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def seal(payload: bytes, mac: Callable[[bytes], bytes]) -> str:
    """``base64url(payload || mac(payload))``: readable by anyone, made only with the key."""
    return _b64(payload + mac(payload))


def unseal(token: object, max_token: int, mac: Callable[[bytes], bytes]) -> bytes | None:
    """The payload of a token ``seal`` made with the same ``mac``; None for anything else."""
    if not isinstance(token, str) or not 0 < len(token) <= max_token:
        return None
    if not _TOKEN.fullmatch(token):
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (ValueError, binascii.Error):
        return None
    # Unused low bits of the last character would let several strings decode to the
    # same bytes; only the one canonical spelling of a token is accepted.
    if _b64(raw) != token or len(raw) <= MAC_BYTES:
        return None
    payload, tag = raw[:-MAC_BYTES], raw[-MAC_BYTES:]
    return payload if hmac.compare_digest(tag, mac(payload)) else None


class LinkSigner:
    """Makes and checks link tokens: ``base64url(payload || HMAC-SHA256(payload)[:16])``.

    The payload is readable by whoever holds the link (it is signed, not encrypted): it
    carries only ids and the target that the recipient sees anyway.
    """

    def __init__(self, secret: bytes, public_url: str) -> None:
        if len(secret) < MIN_SECRET:
            raise ValueError(f"a link secret needs at least {MIN_SECRET} bytes")
        # A key of its own, so that the secret could sign something else without a token
        # of one kind ever passing for the other.
        self._key = hmac.new(secret, b"switchboard/links/v1", hashlib.sha256).digest()
        self.public_url = public_url.rstrip("/")
        self._prefix = f"{self.public_url}/l/"

    def _mac(self, payload: bytes) -> bytes:
        return hmac.new(self._key, payload, hashlib.sha256).digest()[:MAC_BYTES]

    def sign(self, profile: str, message: str, target: str) -> str:
        """The token of a link; ValueError for a target other than an http(s) URL."""
        safe = safe_target(target)
        if safe is None:
            raise ValueError("only http and https URLs with a host can be tracked")
        fields = (VERSION, _clean_id(profile, "profile"), _clean_id(message, "message"), safe)
        # Newlines separate the fields: no id and no target can contain one.
        payload = "\n".join(fields).encode("ascii")
        token = seal(payload, self._mac)
        if len(token) > MAX_TOKEN:
            raise ValueError("the target is too long for a tracked link")
        return token

    def url(self, profile: str, message: str, target: str) -> str:
        return self._prefix + self.sign(profile, message, target)

    def verify(self, token: object) -> Link | None:
        """The link a token names, or None for anything this signer did not make."""
        payload = unseal(token, MAX_TOKEN, self._mac)
        if payload is None:
            return None
        try:
            version, profile, message, target = payload.decode("ascii").split("\n")
        except (UnicodeDecodeError, ValueError):
            return None
        if version != VERSION or safe_target(target) != target or not profile or not message:
            return None
        return Link(profile, message, target)

    def is_tracked(self, url: str) -> bool:
        return url.lower().startswith(self._prefix.lower())

    def rewrite(
        self, text: str, profile: str, message: str, only: Collection[str] | None = None
    ) -> str:
        """``text`` with each http(s) URL turned into a tracked link of this message (or
        each of ``only``, when given: those the business wrote).

        Punctuation that ends the sentence stays outside the link; a URL that is already
        tracked, or that cannot be a safe target, is left as it is.
        """

        def replace(match: re.Match[str]) -> str:
            url, tail = _found(match)
            return self._tracked(url, profile, message, only) + tail

        return _URL.sub(replace, text)

    def targets(
        self, text: str, profile: str, message: str, only: Collection[str] | None = None
    ) -> tuple[tuple[str, str], ...]:
        """Each URL of ``text`` that ``rewrite`` would track, with its tracked link, once:
        for a channel that shows the URL as written and opens the tracked link (the web
        chat), where a tracked link's own address means nothing to the reader."""
        pairs = ((url, self._tracked(url, profile, message, only)) for url in urls_in(text))
        return tuple(dict.fromkeys((url, link) for url, link in pairs if link != url))

    def _tracked(self, url: str, profile: str, message: str, only: Collection[str] | None) -> str:
        """The tracked link ``rewrite`` makes of ``url``; ``url`` itself where it makes none."""
        if self.is_tracked(url) or (only is not None and url not in only):
            return url
        try:
            return self.url(profile, message, url)
        except ValueError:
            return url


def shown_links(
    signer: LinkSigner, records: Iterable[dict[str, Any]], profile: str
) -> dict[str, dict[str, str]]:
    """Each timeline reply's tracked links, by the reply's id, as its page showed them
    when it came (``Outbound.targets``): for a page that shows the replies again. A record
    says which of its links were tracked (``tracked``: those the business wrote, or None
    for all); one that does not say (kept before records said) keeps its links as written."""
    shown = {}
    for record in records:
        if record.get("direction") != "outbound" or "tracked" not in record:
            continue
        media = record.get("media")
        caption = media.get("caption") if isinstance(media, dict) else ""
        tracked, text = record["tracked"], record.get("text") or caption
        if not isinstance(text, str) or not (tracked is None or isinstance(tracked, list)):
            continue
        only = None if tracked is None else {url for url in tracked if isinstance(url, str)}
        if targets := signer.targets(text, profile, str(record["id"]), only=only):
            shown[str(record["id"])] = dict(targets)
    return shown


def urls_in(text: str) -> list[str]:
    """The http(s) URLs of ``text``, as ``rewrite`` finds them."""
    return [_found(match)[0] for match in _URL.finditer(text)]


def _found(match: re.Match[str]) -> tuple[str, str]:
    """(the URL, what follows it) of a match: its trailing punctuation, and the closing
    marker of a formatting that opened right before it ("_https://a.com/x_")."""
    url, tail = split_trailing(match.group(0))
    before = match.string[match.start() - 1] if match.start() else ""
    if before and before in _MARKERS and url.endswith(before):
        url, more = split_trailing(url[:-1])
        tail = more + before + tail
    return url, tail


def split_trailing(url: str) -> tuple[str, str]:
    """(the URL, the punctuation after it): "see https://a.com/x)." -> ("...x", ").")."""
    end = len(url)
    while end:
        last = url[end - 1]
        if last in _TRAILING:
            end -= 1
        elif last in _PAIRS and url.count(_PAIRS[last], 0, end) < url.count(last, 0, end):
            end -= 1  # a closing bracket the URL never opened: "(see https://a.com)"
        else:
            break
    return url[:end], url[end:]


async def load_link_secret(secrets_store: SecretStore, env_value: str | None) -> bytes:
    """The secret links are signed with: ``SWITCHBOARD_LINK_SECRET`` when set, else one
    made once and kept in the store, so every process and every restart shares it."""
    if env_value:
        secret = env_value.encode("utf-8")
        if len(secret) < MIN_SECRET:
            raise ConfigError(f"{SECRET_ENV} must be at least {MIN_SECRET} characters long")
        return secret
    return await secrets_store.keep("links", secrets.token_urlsafe(32))


class LinkSigners:
    """This process's signer, loaded on first use: its secret may live in the store, and
    building the runtime touches no store. Two first uses at once read the one shared
    secret, so loading it twice is harmless."""

    def __init__(self, load_secret: Callable[[], Awaitable[bytes]], public_url: str) -> None:
        self._load_secret = load_secret
        self.public_url = public_url
        self._signer: LinkSigner | None = None

    async def signer(self) -> LinkSigner:
        if self._signer is None:
            self._signer = LinkSigner(await self._load_secret(), self.public_url)
        return self._signer
