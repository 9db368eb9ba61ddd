"""``/v1/media``: a service uploads a file to send in a reply, and downloads the files it
uploaded and those customers sent on its numbers."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from urllib.parse import unquote_to_bytes

import aiohttp
from aiohttp import web

from adapters.files import Download, FileGoneError, FileTooLargeError
from adapters.provider import ProviderError
from bot.api.common import (
    ApiError,
    acting,
    caller,
    numbers_of,
    parts,
    past_the_store,
    raw_body,
)
from bot.core.media import (
    MAX_UPLOAD,
    MediaRefusedError,
    ProviderFiles,
    check_size,
    kind_of,
    media_type,
)
from bot.http.media import cut_short, file_headers, file_response, kept_file
from stores.media import MediaRecord

log = logging.getLogger(__name__)
UPLOAD_BODY = MAX_UPLOAD + 64 * 1024
"""A file and the multipart framing around it."""
CHANNELS = ("whatsapp", "telegram", "sms", "web")
_BCHARS = "0-9A-Za-z'()+_,./:=?-"
_BOUNDARY = re.compile(
    rf"""boundary=(?:"([ {_BCHARS}]{{1,70}})"|([{_BCHARS}]{{1,70}}))(?:;|\s|$)""", re.IGNORECASE
)
"""RFC 2046's boundary characters, quoted or not."""
MAX_PARTS = 100
"""Parts of a multipart upload read for its file: a form has its file and a few fields.
Each is read on the event loop, and 16 MB of tiny ones held up the process a second."""
_PARAM = re.compile(r"""\s*;\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*=\s*(?:"([^"]*)"|([^\s;"]*))""")
"""A Content-Disposition parameter: its value a quoted string or a token (RFC 7578 4.2;
.NET's HttpClient writes ``name=file; filename=a.png``)."""


def add_media_routes(api: web.Application) -> None:
    api.router.add_post("/media", upload)
    api.router.add_get("/media/{id}", download)


UPLOADS = ("/v1/media", "/live/api/media")
"""The routes that take a file: the API's, and the live view's."""


def largest_body(request: web.Request) -> int:
    """The most bytes a request to this route may carry."""
    return UPLOAD_BODY if request.path.rstrip("/").endswith(UPLOADS) else 0


async def upload(request: web.Request) -> web.Response:
    """A file as ``multipart/form-data`` (its part named ``file``) or as the raw body with
    its Content-Type; checked for the ``channel`` given, then kept for a day."""
    who = acting(request)
    channel = request.query.get("channel", "")
    if channel and channel not in CHANNELS:
        raise ApiError(400, f"channel is one of {', '.join(CHANNELS)}")
    if (request.content_length or 0) > UPLOAD_BODY:
        raise ApiError(413, f"the file is larger than {MAX_UPLOAD} bytes")
    body = await raw_body(request, UPLOAD_BODY)
    if len(body) > UPLOAD_BODY:
        raise ApiError(413, f"the file is larger than {MAX_UPLOAD} bytes")
    body, declared, filename = uploaded_file(request, body)
    library = parts(request).media
    try:
        record = await library.save(body, declared, filename, who.name, channel=channel)
    except MediaRefusedError as refusal:
        raise ApiError(refusal.status, str(refusal)) from None
    return web.json_response({"media": await described(request, record)}, status=201)


async def described(request: web.Request, record: MediaRecord) -> dict[str, object]:
    return record.to_dict() | {"url": await parts(request).media.url(record)}


def uploaded_file(request: web.Request, body: bytes) -> tuple[bytes, str, str]:
    """The file an upload carries, as its bytes, type and name: the part named ``file`` of
    a multipart body, else the body with its Content-Type and ``?filename=``."""
    declared = request.headers.get("Content-Type", "")
    if media_type(declared) == "multipart/form-data":
        return form_file(body, declared)
    return body, declared, request.query.get("filename", "")


def form_file(body: bytes, declared: str) -> tuple[bytes, str, str]:
    """The part named ``file`` of a multipart/form-data body: its bytes, type and name."""
    found = _BOUNDARY.search(declared)
    if found is None:
        raise ApiError(400, "multipart/form-data needs a boundary")
    delimiter = b"--" + (found.group(1) or found.group(2)).encode("latin-1")
    # Parts follow CRLF and the delimiter; what comes before the first one (the preamble,
    # none when the body starts with the delimiter) is dropped. The body is searched, not
    # split: only the file's bytes are copied out of it.
    marker = b"\r\n" + delimiter
    for count, (start, end) in enumerate(_parts(body, delimiter, marker)):
        if body.startswith(b"--", start):
            break
        if count == MAX_PARTS:
            raise ApiError(400, f"multipart/form-data with more than {MAX_PARTS} parts")
        split = body.find(b"\r\n\r\n", start, end)
        if split < 0:
            raise ApiError(400, "a multipart part without headers")
        if end == len(body):  # no delimiter after it: the body was cut short
            closing = delimiter.decode("latin-1") + "--"
            raise ApiError(400, f"multipart/form-data that ends before its closing {closing}")
        headers = _part_headers(body[start:split])
        names = _disposition(headers.get("content-disposition", ""))
        if names.get("name") == "file":
            declared_type = headers.get("content-type", "application/octet-stream")
            return body[split + 4 : end], declared_type, _filename(names)
    raise ApiError(400, "multipart/form-data without a part named 'file'")


def _disposition(value: str) -> dict[str, str]:
    """A Content-Disposition's parameters by their lower-case names, quoted or not."""
    _, semicolon, parameters = value.partition(";")
    found = _PARAM.findall(semicolon + parameters)
    return {key.lower(): quoted or token for key, quoted, token in found}


def _filename(names: dict[str, str]) -> str:
    """The part's name: its ``filename*`` when it can be read, else its ``filename``
    (RFC 6266 4.3). 400 for a ``filename*`` that cannot be read and no ``filename``: the
    file would go to the customer with no name."""
    extended = names.get("filename*")
    if extended is not None and (name := _extended(extended)):
        return name
    if extended is not None and "filename" not in names:
        raise ApiError(
            400,
            "the part's filename* cannot be read: it is UTF-8'' (or ISO-8859-1'') and the"
            " name's bytes percent-encoded",
        )
    return _browser_name(names.get("filename", ""))


_BROWSER_ESCAPES = re.compile("%(22|0D|0A)")


def _browser_name(value: str) -> str:
    """A ``filename`` as a browser wrote it: only a quote and line breaks are escaped
    (``%22``, ``%0D``, ``%0A``, WHATWG's multipart encoding), and a ``%`` is sent as it
    is, so ``a%2Fb.pdf`` is that name, not ``a/b.pdf``."""
    return _BROWSER_ESCAPES.sub(lambda escape: chr(int(escape[1], 16)), value)


def _extended(value: str) -> str:
    """An RFC 8187 ``filename*`` (``utf-8''a%20b.png``) decoded; "" when it cannot be.
    It wins over ``filename`` when both come (RFC 6266 4.3): .NET writes a name outside
    ASCII there, and a MIME encoded-word in ``filename``."""
    charset, _, rest = value.partition("'")
    _, quote_mark, encoded = rest.partition("'")
    if not quote_mark or charset.lower() not in ("utf-8", "iso-8859-1"):
        return ""
    try:
        return unquote_to_bytes(encoded).decode(charset)
    except UnicodeDecodeError:
        return ""


def _parts(body: bytes, delimiter: bytes, marker: bytes) -> Iterator[tuple[int, int]]:
    """Where each part after a delimiter starts and ends: up to the next ``marker`` (CRLF
    and the delimiter), the last one up to the end of the body."""
    if body.startswith(delimiter):
        start = len(delimiter)
    else:
        found = body.find(marker)
        if found < 0:
            return
        start = found + len(marker)
    while True:
        end = body.find(marker, start)
        yield start, (len(body) if end < 0 else end)
        if end < 0:
            return
        start = end + len(marker)


def _part_headers(head: bytes) -> dict[str, str]:
    headers = {}
    for line in head.decode("utf-8", "replace").split("\r\n"):
        name, colon, value = line.partition(":")
        if colon:
            headers[name.strip().lower()] = value.strip()
    return headers


async def with_upload(
    request: web.Request, media: dict[str, str] | None, channel: str
) -> dict[str, str] | None:
    """A reply's media, with the caller's upload it names looked up: its type, and a signed
    URL good while the file is kept (for SMS, the web chat and the owner's timeline). 404
    for a file that is not the caller's, 413 past the channel's limit, 400 for a file of
    another kind than said (any file may go as a document)."""
    if media is None or "upload" not in media:
        return media
    library = parts(request).media
    record = await library.record(media["upload"])
    if record is None or record.owner != acting(request).name:
        raise ApiError(404, f"no media {media['upload']}: upload it with POST /v1/media")
    try:
        kind = kind_of(record.content_type)
        check_size(record.size, kind, channel)
    except MediaRefusedError as refusal:
        raise ApiError(refusal.status, str(refusal)) from None
    if media["kind"] not in (kind, "document"):
        raise ApiError(400, f"media.type is {media['kind']}, but the file is {kind}")
    found = media | {"content_type": record.content_type}
    found["url"] = await library.url(record, ttl=record.expires_at - time.time())
    if media["kind"] == "document" and record.filename:
        found.setdefault("filename", record.filename)
    return found


async def visible(request: web.Request, record: MediaRecord) -> bool:
    """Whether the caller may have a file: its own upload, or one of a number it is on."""
    if record.owner == caller(request).name:
        return True
    return bool(record.number) and record.number in await numbers_of(request)


async def download(request: web.Request) -> web.StreamResponse:
    """The bytes of a file the caller may have; any other id is unknown (404)."""
    media_id = request.match_info["id"]
    library = parts(request).media
    if await library.erased(media_id):
        raise ApiError(404, f"no media {media_id[:80]}: its customer was erased")
    source = library.provider_of(media_id)
    if source is not None:
        return await customer_file(request, media_id, *source)
    found = await library.opened(media_id)
    if found is None or not await visible(request, found[0]):
        raise ApiError(404, f"no media {media_id[:80]}")
    past_the_store(request)  # the reader's pace; each piece has a deadline of its own
    return await kept_file(request, *found)


async def customer_file(
    request: web.Request, ref: str, provider: ProviderFiles, reference: str
) -> web.StreamResponse:
    """A file a customer sent, fetched from its provider with the number's credentials and
    streamed on as it comes, for a service attached to that number; nothing of it is kept."""
    if provider.number not in await numbers_of(request):
        raise ApiError(404, f"no media {ref[:80]}")
    # The provider's pace from here, not a stalled store's: the fetch has deadlines of its
    # own (adapters.files.FETCH_TIMEOUT), and a provider that misses them is a 502.
    past_the_store(request)
    try:
        async with provider.open(reference, MAX_UPLOAD) as download:
            if request.method == "HEAD":  # the provider's headers say all a HEAD asks
                return await stream_file(request, download)
            if download.size is None:  # no length declared: read whole, so a 413 can still go
                data = b"".join([chunk async for chunk in download.chunks])
                return file_response(download.content_type, download.filename, data)
            return await stream_file(request, download)
    except FileGoneError:
        raise ApiError(404, f"no media {ref[:80]}: the provider has it no more") from None
    except FileTooLargeError:
        raise ApiError(413, f"the file is larger than {MAX_UPLOAD} bytes") from None
    except (ProviderError, aiohttp.ClientError, TimeoutError) as error:
        # The type alone: a Telegram URL in an aiohttp error carries the bot's token (REL-5).
        log.warning("fetching a customer's file from its provider failed: %s", type(error).__name__)
        raise ApiError(502, "the provider did not hand over the file; retry later") from None


async def stream_file(request: web.Request, download: Download) -> web.StreamResponse:
    """The provider's bytes passed on piece by piece under its declared length. Once the
    answer has begun, a failure can only cut it short: the connection is closed, and the
    caller sees a file shorter than its Content-Length, never another answer after it."""
    response = web.StreamResponse(headers=file_headers(download.content_type, download.filename))
    response.content_length = download.size
    await response.prepare(request)
    if request.method == "HEAD":
        await response.write_eof()
        return response
    try:
        async for chunk in download.chunks:
            await response.write(chunk)
    except (FileTooLargeError, ProviderError, aiohttp.ClientError, TimeoutError) as error:
        log.warning("a customer's file was cut short: %s", type(error).__name__)
        return cut_short(request, response)
    await response.write_eof()
    return response
