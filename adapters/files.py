"""Files to and from the providers: uploading one to Meta to send it by id, and fetching
a customer's file by the reference its webhook gave, each with the number's credentials.

https://developers.facebook.com/docs/whatsapp/cloud-api/reference/media
"""

from __future__ import annotations

import base64
import contextlib
import io
import mimetypes
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import aiohttp

from adapters.provider import ProviderError

_WHATSAPP_MEDIA_ID = re.compile(r"[0-9]{1,64}")
GENERIC = "application/octet-stream"
"""The type of a file whose provider names none."""
_META_MEDIA_HOSTS = (".fbsbx.com", ".facebook.com", ".whatsapp.net", ".fbcdn.net")
_TELEGRAM_FILE_ID = re.compile(r"[A-Za-z0-9_-]{1,256}")
_TWILIO_MESSAGE = re.compile(r"(?:MM|SM)[0-9a-f]{32}")
_TWILIO_MEDIA = re.compile(r"ME[0-9a-f]{32}")


_UNSHOWN = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
"""C0 and C1 controls, and Unicode's bidirectional controls, which make ``invoice`` +
U+202E + ``fdp.exe`` show as ``invoiceexe.pdf`` to an agent."""


def shown_filename(value: str, limit: int = 240) -> str:
    """A customer's file's name as a provider gave it, made safe to show and to name a
    download by: no controls or bidirectional controls, its last path segment only, and
    nothing for a name of dots alone ("..")."""
    name = _UNSHOWN.sub("", value).replace("\\", "/").rpartition("/")[2].strip()
    return "" if not name.strip(".") else name[:limit]


DOWNLOADS_AT_ONCE = 64
"""Customers' files one process fetches at once; one more waits for a connection for up
to ``FETCH_TIMEOUT.connect``, and then fails as the provider would."""
FETCH_TIMEOUT = aiohttp.ClientTimeout(total=180, connect=10, sock_read=20)
"""How long a fetch waits: 10 s for a connection, 20 s for each piece of the answer (its
headers too), 3 minutes in all (16 MiB at 93 KB/s)."""


def download_session() -> aiohttp.ClientSession:
    """The session customers' files are fetched on, apart from the one sends go out on:
    a provider's stalled file server holds its own connections, never a send's."""
    connector = aiohttp.TCPConnector(limit=DOWNLOADS_AT_ONCE)
    return aiohttp.ClientSession(connector=connector, timeout=FETCH_TIMEOUT)


class FileTooLargeError(Exception):
    """The provider's file is larger than the caller takes."""


class FileGoneError(Exception):
    """The provider has no such file (any more), or refuses to say."""


@dataclass(frozen=True, slots=True)
class Download:
    """A file as a provider hands it over, while its answer is open."""

    content_type: str
    filename: str
    size: int | None
    """The length the provider declared, if it did."""
    chunks: AsyncIterator[bytes]
    """The bytes, piece by piece; FileTooLargeError past the limit."""


def download_of(
    response: aiohttp.ClientResponse, limit: int, content_type: str, filename: str = ""
) -> Download:
    """The file a provider's answer carries; FileTooLargeError at once when it declares
    more than ``limit`` bytes, else when more than that actually comes."""
    if (response.content_length or 0) > limit:
        raise FileTooLargeError(f"the file is larger than {limit} bytes")
    return Download(content_type, filename, response.content_length, _capped(response, limit))


async def _capped(response: aiohttp.ClientResponse, limit: int) -> AsyncIterator[bytes]:
    size = 0
    async for piece in response.content.iter_chunked(64 * 1024):
        size += len(piece)
        if size > limit:
            raise FileTooLargeError(f"the file is larger than {limit} bytes")
        yield piece


def content_type_of(response: aiohttp.ClientResponse, default: str) -> str:
    found = response.headers.get("Content-Type", "").partition(";")[0].strip().lower()
    return found or default


class WhatsAppFiles:
    """A number's media on the Cloud API: ``POST /{phone_number_id}/media`` to upload,
    ``GET /{media_id}`` then its ``url`` (both with the token) to download."""

    def __init__(
        self, session: aiohttp.ClientSession, base: str, phone_number_id: str, access_token: str
    ) -> None:
        self.session = session
        self.base = base.rstrip("/")
        self.phone_number_id = phone_number_id
        self._headers = {"Authorization": f"Bearer {access_token}"}

    def _is_metas(self, url: str) -> bool:
        """Whether ``url`` is on the API's host or one of Meta's media hosts, over https
        (or as the API itself is reached, for a local stand-in)."""
        found, api = urlsplit(url), urlsplit(self.base)
        host = (found.hostname or "").lower()
        if found.scheme == api.scheme and found.netloc == api.netloc:
            return True
        return found.scheme == "https" and host.endswith(_META_MEDIA_HOSTS)

    async def upload(self, data: bytes, content_type: str, filename: str) -> str:
        """Upload a file; the media id Meta gives it, to send it by (kept 30 days)."""
        form = aiohttp.FormData()
        form.add_field("messaging_product", "whatsapp")
        form.add_field("type", content_type)
        # A stream, not bytes: aiohttp sends a large bytes body in one blocking write.
        file = io.BytesIO(data)
        form.add_field("file", file, filename=filename or "file", content_type=content_type)
        url = f"{self.base}/{self.phone_number_id}/media"
        async with self.session.post(url, data=form, headers=self._headers) as response:
            found = await _json(response)
            media_id = found.get("id")
            if response.status == 200 and isinstance(media_id, str) and media_id:
                return media_id
            raise _refusal(response, found)

    @contextlib.asynccontextmanager
    async def open(self, media_id: str, limit: int) -> AsyncIterator[Download]:
        """A customer's file by its media id; FileGoneError when Meta has it no more,
        FileTooLargeError past ``limit``, ProviderError for any other refusal."""
        if not _WHATSAPP_MEDIA_ID.fullmatch(media_id):
            raise FileGoneError("not a WhatsApp media id")
        url = f"{self.base}/{media_id}"
        params = {"phone_number_id": self.phone_number_id}
        async with self.session.get(url, params=params, headers=self._headers) as response:
            found = await _json(response)
            if response.status in (400, 404):
                raise FileGoneError(f"WhatsApp has no media {media_id}")
            where = found.get("url")
            if response.status != 200 or not isinstance(where, str):
                raise _refusal(response, found)
        if not self._is_metas(where):
            # The token goes with the download: only to Meta's own hosts.
            raise ProviderError(502, 0, "Meta named a download URL off its hosts", None)
        size = found.get("file_size")
        if isinstance(size, int) and size > limit:
            raise FileTooLargeError(f"the file is larger than {limit} bytes")
        mime_type = str(found.get("mime_type") or GENERIC)
        # The URL is Meta's, short-lived, and wants the token too; it is never redirected to.
        async with self.session.get(
            where, headers=self._headers, allow_redirects=False
        ) as response:
            if response.status == 404:
                raise FileGoneError(f"WhatsApp has no media {media_id}")
            if response.status != 200:
                raise _refusal(response, {})
            yield download_of(response, limit, mime_type.partition(";")[0].strip().lower())


async def _json(response: aiohttp.ClientResponse) -> dict[str, object]:
    try:
        found = await response.json(content_type=None)
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def _refusal(response: aiohttp.ClientResponse, found: dict[str, object]) -> ProviderError:
    error = found.get("error")
    error = error if isinstance(error, dict) else {}
    code = error.get("code")
    return ProviderError(
        response.status,
        code if isinstance(code, int) else 0,
        str(error.get("message") or "unexpected response"),
        None,
    )


class TelegramFiles:
    """A bot's files: ``getFile`` for the path, then ``/file/bot<token>/<path>``. The
    token is part of both URLs, so no error of theirs is passed on as it is (REL-5)."""

    def __init__(self, session: aiohttp.ClientSession, api_base: str, token: str) -> None:
        self.session = session
        self.base = api_base.rstrip("/")
        self._token = token

    @contextlib.asynccontextmanager
    async def open(self, file_id: str, limit: int) -> AsyncIterator[Download]:
        if not _TELEGRAM_FILE_ID.fullmatch(file_id):
            raise FileGoneError("not a Telegram file id")
        url = f"{self.base}/bot{self._token}/getFile"
        async with self.session.post(url, json={"file_id": file_id}) as response:
            found = await _json(response)
        result = found.get("result")
        if response.status == 400 and "too big" in str(found.get("description", "")):
            # getFile serves files of up to 20 MB ("Bad Request: file is too big"): the file
            # is there, and too large to fetch.
            raise FileTooLargeError("the file is larger than the 20 MB Telegram hands over")
        if response.status == 400:
            raise FileGoneError("Telegram has no such file")
        if not found.get("ok") or not isinstance(result, dict):
            raise ProviderError(response.status, 0, "getFile failed", None)
        size, path = result.get("file_size"), result.get("file_path")
        if isinstance(size, int) and size > limit:
            raise FileTooLargeError(f"the file is larger than {limit} bytes")
        if not isinstance(path, str) or not path or ".." in path:
            raise FileGoneError("Telegram gave no path for the file")
        async with self.session.get(f"{self.base}/file/bot{self._token}/{path}") as response:
            if response.status == 404:
                raise FileGoneError("Telegram has no such file")
            if response.status != 200:
                raise ProviderError(response.status, 0, "the file download failed", None)
            content_type = content_type_of(response, GENERIC)
            if content_type == GENERIC:
                # Telegram's file server names no type; the path keeps the file's extension.
                content_type = mimetypes.guess_type(path)[0] or GENERIC
            yield download_of(response, limit, content_type, path.rpartition("/")[2])


class TwilioFiles:
    """An MMS's files: its MediaUrl, with the account's credentials (HTTP Basic); Twilio
    answers with the file, or a redirect to where it is kept."""

    def __init__(
        self, session: aiohttp.ClientSession, api_base: str, account_sid: str, auth_token: str
    ) -> None:
        self.session = session
        self.base = api_base.rstrip("/")
        self.account_sid = account_sid
        credentials = base64.b64encode(f"{account_sid}:{auth_token}".encode()).decode()
        self._headers = {"Authorization": f"Basic {credentials}"}

    @contextlib.asynccontextmanager
    async def open(self, reference: str, limit: int) -> AsyncIterator[Download]:
        """``<message sid>_<media sid>``, as ``adapters.sms.media_ref`` names a file."""
        message, _, media = reference.partition("_")
        if not _TWILIO_MESSAGE.fullmatch(message) or not _TWILIO_MEDIA.fullmatch(media):
            raise FileGoneError("not an MMS file")
        url = f"{self.base}/2010-04-01/Accounts/{self.account_sid}/Messages/{message}/Media/{media}"
        # aiohttp drops the credentials when a redirect leaves Twilio's host.
        async with self.session.get(url, headers=self._headers, max_redirects=3) as response:
            if response.status == 404:
                raise FileGoneError("Twilio has no such file")
            if response.status != 200:
                raise ProviderError(response.status, 0, "the file download failed", None)
            content_type = content_type_of(response, GENERIC)
            yield download_of(response, limit, content_type)
