"""Files sent and received: which types are taken and how big on each channel, checked on
the bytes themselves, kept in the media store, and handed out by signed, short-lived URLs
that a provider (or a browser) fetches without a token."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field

from adapters.files import Download
from bot.config.environment import MIN_LINK_SECRET
from stores.media import DAY, BaseMediaStore, MediaRecord

MB = 1024 * 1024
MAX_UPLOAD = 16 * MB
"""The largest file kept: WhatsApp's limit for video and audio (its documents may be larger,
but a file of more lives better elsewhere and goes by URL)."""
UPLOAD_TTL = DAY
URL_TTL = 3600.0
"""Seconds a signed URL works: long enough for a provider to fetch the file it was sent."""
MAX_FILENAME = 240
MAX_REF = 300
"""Characters in a customer's file's reference; a longer one names nothing."""

TYPES: dict[str, str] = {
    "image/jpeg": "image",
    "image/png": "image",
    "video/mp4": "video",
    "video/3gpp": "video",
    "audio/aac": "audio",
    "audio/amr": "audio",
    "audio/mpeg": "audio",
    "audio/mp4": "audio",
    "audio/ogg": "audio",
    "application/pdf": "document",
    "text/plain": "document",
    "application/msword": "document",
    "application/vnd.ms-excel": "document",
    "application/vnd.ms-powerpoint": "document",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "document",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "document",
}
"""The types every channel takes, each as the kind of message it is sent as: the types of
Meta's supported media table, which Telegram and Twilio take too."""

LIMITS: dict[str, dict[str, int]] = {
    # https://developers.facebook.com/docs/whatsapp/cloud-api/reference/media#supported-media-types
    "whatsapp": {"image": 5 * MB, "video": 16 * MB, "audio": 16 * MB, "document": 100 * MB},
    # The Bot API's uploads: photos up to 10 MB, other files up to 50 MB.
    "telegram": {"image": 10 * MB, "video": 50 * MB, "audio": 50 * MB, "document": 50 * MB},
    # Twilio: an MMS of at most 5 MB (error 11751 past it).
    "sms": {"image": 5 * MB, "video": 5 * MB, "audio": 5 * MB, "document": 5 * MB},
}
"""Bytes per kind of file on each channel; the web chat takes what the store keeps."""

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = b"PK\x03\x04"
FILE_NAME = re.compile(
    r"[^\x00-\x1f\x7f-\x9f/\\\"\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]{1,240}"
)
"""No C0 or C1 controls, no slashes or quotes, and none of Unicode's bidirectional
controls, which make ``evil`` + U+202E + ``gnp.exe`` show as ``evilexe.png``."""


class MediaRefusedError(Exception):
    """A file that cannot be kept or sent: its status (400, 413 or 415) and why."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _is_mpeg_audio(data: bytes) -> bool:
    return data.startswith(b"ID3") or (len(data) > 1 and data[0] == 0xFF and data[1] >= 0xE0)


def _is_aac(data: bytes) -> bool:
    return data.startswith(b"ADIF") or (len(data) > 1 and data[0] == 0xFF and data[1] >> 4 == 0xF)


def _is_text(data: bytes) -> bool:
    try:
        return b"\x00" not in data and bool(data.decode("utf-8"))
    except UnicodeDecodeError:
        return False


_LOOKS: dict[str, Callable[[bytes], bool]] = {
    "image/jpeg": lambda data: data.startswith(b"\xff\xd8\xff"),
    "image/png": lambda data: data.startswith(b"\x89PNG\r\n\x1a\n"),
    "video/mp4": lambda data: data[4:8] == b"ftyp",
    "video/3gpp": lambda data: data[4:8] == b"ftyp",
    "audio/mp4": lambda data: data[4:8] == b"ftyp",
    "audio/ogg": lambda data: data.startswith(b"OggS"),
    "audio/amr": lambda data: data.startswith(b"#!AMR"),
    "audio/mpeg": _is_mpeg_audio,
    "audio/aac": _is_aac,
    "application/pdf": lambda data: data.startswith(b"%PDF-"),
    "text/plain": _is_text,
    "application/msword": lambda data: data.startswith(_OLE),
    "application/vnd.ms-excel": lambda data: data.startswith(_OLE),
    "application/vnd.ms-powerpoint": lambda data: data.startswith(_OLE),
}
"""How the first bytes of each type look; the Office Open XML types are zip files."""


ALIASES = {
    "audio/x-m4a": "audio/mp4",
    "audio/m4a": "audio/mp4",
    "audio/x-aac": "audio/aac",
    "audio/mp3": "audio/mpeg",
    "image/jpg": "image/jpeg",
    "image/pjpeg": "image/jpeg",
}
"""Names browsers and phones give some of ``TYPES`` (Chromium calls an .m4a voice memo
``audio/x-m4a``): taken, and kept, as the type itself."""


def media_type(declared: str) -> str:
    """The MIME type of a Content-Type value, lowercased, without its parameters, and by
    its own name when ``declared`` is an alias of it."""
    found = declared.partition(";")[0].strip().lower()
    return ALIASES.get(found, found)


def kind_of(content_type: str) -> str:
    """``image``, ``video``, ``audio`` or ``document``; MediaRefusedError(415) otherwise."""
    kind = TYPES.get(media_type(content_type))
    if kind is None:
        allowed = ", ".join(TYPES)
        raise MediaRefusedError(
            415, f"type {content_type[:100]!r} is not taken; send one of {allowed}"
        )
    return kind


def check_file(data: bytes, content_type: str, channel: str = "") -> str:
    """The kind of a file that may be kept (and sent on ``channel``, when given); else
    MediaRefusedError: empty (400), too big (413), of another type or not what it says (415)."""
    kind = kind_of(content_type)
    if not data:
        raise MediaRefusedError(400, "the file is empty")
    check_size(len(data), kind, channel)
    looks = _LOOKS.get(media_type(content_type), lambda data: data.startswith(_ZIP))
    if not looks(data):
        raise MediaRefusedError(
            415, f"the file is not {media_type(content_type)}: its bytes say otherwise"
        )
    return kind


def check_size(size: int, kind: str, channel: str = "") -> None:
    """MediaRefusedError(413) for a file of ``size`` bytes past the store's limit or the
    channel's limit for its kind."""
    if size > MAX_UPLOAD:
        raise MediaRefusedError(413, f"the file is larger than {MAX_UPLOAD} bytes")
    limit = LIMITS.get(channel, {}).get(kind, MAX_UPLOAD)
    if size > limit:
        raise MediaRefusedError(413, f"{channel} takes {kind} files of at most {limit} bytes")


def clean_filename(value: str) -> str:
    """A file name to keep: its last path segment, or MediaRefusedError(400)."""
    name = value.replace("\\", "/").rpartition("/")[2].strip()
    if not name:
        return ""
    if len(name) > MAX_FILENAME or not FILE_NAME.fullmatch(name) or not name.strip("."):
        raise MediaRefusedError(
            400,
            f"filename: 1 to {MAX_FILENAME} characters, no controls or quotes, not dots alone",
        )
    return name


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class MediaLinks:
    """Signed URLs of kept files, ``{public_url}/media/{token}``: the token names the file
    and when the URL stops working, and is good for nothing else."""

    MAC_BYTES = 16

    def __init__(self, load_secret: Callable[[], Awaitable[bytes]], public_url: str) -> None:
        self._load_secret = load_secret
        self._key = b""
        self.public_url = public_url.rstrip("/")

    async def _mac(self, payload: bytes) -> bytes:
        if not self._key:
            secret = await self._load_secret()
            if len(secret) < MIN_LINK_SECRET:
                raise ValueError(f"a link secret needs at least {MIN_LINK_SECRET} bytes")
            # A key of its own: a token of a tracked link never passes for a file's.
            self._key = hmac.new(secret, b"switchboard/media/v1", hashlib.sha256).digest()
        return hmac.new(self._key, payload, hashlib.sha256).digest()[: self.MAC_BYTES]

    async def url(self, media_id: str, ttl: float = URL_TTL, now: float = 0.0) -> str:
        until = int((now or time.time()) + ttl)
        payload = f"{media_id}\n{until}".encode("ascii")
        return f"{self.public_url}/media/{_b64(payload + await self._mac(payload))}"

    async def verify(self, token: str, now: float = 0.0) -> str | None:
        """The id a token names while it is good; None when forged, malformed or expired."""
        if not 0 < len(token) <= 200 or not re.fullmatch(r"[A-Za-z0-9_-]+", token):
            return None
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except (ValueError, binascii.Error):
            return None
        if _b64(raw) != token or len(raw) <= self.MAC_BYTES:
            return None
        payload, mac = raw[: -self.MAC_BYTES], raw[-self.MAC_BYTES :]
        if not hmac.compare_digest(mac, await self._mac(payload)):
            return None
        media_id, _, until = payload.decode("ascii", "replace").partition("\n")
        if not (until.isascii() and until.isdigit()) or int(until) < (now or time.time()):
            return None
        return media_id


@dataclass(frozen=True, slots=True)
class ProviderFiles:
    """Where a channel's customers' files are fetched from: the number they came to, and
    the fetch with its credentials (``adapters.files``)."""

    number: str
    open: Callable[[str, int], AbstractAsyncContextManager[Download]]
    """(the reference after its prefix, the most bytes taken) -> the file, while open."""


@dataclass(frozen=True, slots=True)
class MediaLibrary:
    """What the API, the web chat and the sender use of files: keep one, find one, sign
    its URL, fetch a customer's from its provider."""

    store: BaseMediaStore
    links: MediaLinks
    providers: dict[str, ProviderFiles] = field(default_factory=dict)
    """By a reference's prefix (``wa``, ``tg``, ``sms``), for the channels configured."""

    def provider_of(self, ref: str) -> tuple[ProviderFiles, str] | None:
        """The provider holding a customer's file ``<prefix>_<reference>``, and the
        reference; None for anything else (an upload's id, a channel not configured)."""
        prefix, _, reference = ref.partition("_")
        found = self.providers.get(prefix)
        return (found, reference) if found and reference and len(ref) <= MAX_REF else None

    async def save(
        self,
        data: bytes,
        content_type: str,
        filename: str,
        owner: str,
        *,
        number: str = "",
        channel: str = "",
        ttl: float = UPLOAD_TTL,
        retried_as: str = "",
    ) -> MediaRecord:
        """Check a file (for ``channel`` too, when given) and keep it; MediaRefusedError
        says why it was not, and then nothing is kept. ``retried_as``: see the store's."""
        check_file(data, content_type, channel)
        name = clean_filename(filename)
        return await self.store.save(
            data,
            media_type(content_type),
            name,
            owner,
            number=number,
            ttl=ttl,
            retried_as=retried_as,
        )

    async def record(self, media_id: str) -> MediaRecord | None:
        return await self.store.record(media_id)

    async def kept_as(self, retried_as: str) -> MediaRecord | None:
        """The file ``save`` kept under ``retried_as``, or None: an upload made again."""
        return await self.store.kept_as(retried_as)

    async def keep(self, media_id: str, ttl: float) -> None:
        """Keep a kept file at least ``ttl`` seconds from now (never shorter)."""
        await self.store.keep(media_id, ttl)

    async def forget(self, refs: list[str]) -> None:
        """The files an erased customer sent: deleted where kept, never fetched again."""
        await self.store.forget(refs)

    async def erased(self, ref: str) -> bool:
        """Whether ``ref`` is a file of a customer erased since (PS-7)."""
        return await self.store.erased(ref)

    async def load(self, media_id: str) -> tuple[MediaRecord, bytes] | None:
        return await self.store.load(media_id)

    async def spend(self, pool: str, size: int, most: int, window: float) -> float:
        """Count ``size`` bytes of files against ``pool``'s ``most`` a ``window`` of
        seconds: 0 when they fit, else the seconds until they may."""
        return await self.store.spend(pool, size, most, window)

    async def opened(self, media_id: str) -> tuple[MediaRecord, AsyncIterator[bytes]] | None:
        """A kept file's record and its bytes piece by piece, to pass on as they come."""
        return await self.store.opened(media_id)

    async def provider_id(
        self, media_id: str, provider: str, upload: Callable[[bytes, str, str], Awaitable[str]]
    ) -> str:
        """The id ``provider`` knows an upload by: the one noted the first time it was
        sent there, else ``upload(data, content_type, filename)``'s, noted for next time.
        LookupError when the file has expired."""
        known = await self.store.recall(media_id, provider)
        if known:
            return known
        found = await self.store.load(media_id)
        if found is None:
            raise LookupError(f"the file {media_id} has expired")
        record, data = found
        given = await upload(data, record.content_type, record.filename)
        await self.store.remember(media_id, provider, given)
        return given

    async def url(self, record: MediaRecord, ttl: float = URL_TTL) -> str:
        """A signed URL of the file, good for ``ttl`` seconds and never past its expiry."""
        return await self.links.url(record.id, min(ttl, max(1.0, record.expires_at - time.time())))
