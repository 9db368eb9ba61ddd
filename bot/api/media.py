"""``/v1/media``: a service uploads a file to send in a reply, and downloads the files it
uploaded and those customers sent on its numbers."""

from __future__ import annotations

import re
from urllib.parse import unquote

from aiohttp import web

from bot.api.common import ApiError, acting, caller, numbers_of, parts, raw_body
from bot.core.media import MAX_UPLOAD, MediaRefusedError, media_type
from bot.http.media import file_response
from stores.media import MediaRecord

UPLOAD_BODY = MAX_UPLOAD + 64 * 1024
"""A file and the multipart framing around it."""
CHANNELS = ("whatsapp", "telegram", "sms", "web")
_BOUNDARY = re.compile(r"""boundary=(?:"([^"]{1,70})"|([^\s;"]{1,70}))""", re.IGNORECASE)
_PARAM = re.compile(r"""\b(name|filename)="([^"]*)\"""", re.IGNORECASE)


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
    declared = request.headers.get("Content-Type", "")
    filename = request.query.get("filename", "")
    if media_type(declared) == "multipart/form-data":
        body, declared, filename = form_file(body, declared)
    library = parts(request).media
    try:
        record = await library.save(body, declared, filename, who.name, channel=channel)
    except MediaRefusedError as refusal:
        raise ApiError(refusal.status, str(refusal)) from None
    return web.json_response({"media": await described(request, record)}, status=201)


async def described(request: web.Request, record: MediaRecord) -> dict[str, object]:
    return record.to_dict() | {"url": await parts(request).media.url(record)}


def form_file(body: bytes, declared: str) -> tuple[bytes, str, str]:
    """The part named ``file`` of a multipart/form-data body: its bytes, type and name."""
    found = _BOUNDARY.search(declared)
    if found is None:
        raise ApiError(400, "multipart/form-data needs a boundary")
    delimiter = b"--" + (found.group(1) or found.group(2)).encode("latin-1")
    # The preamble before the first delimiter is dropped: "\r\n" + body starts with it.
    for chunk in (b"\r\n" + body).split(b"\r\n" + delimiter)[1:]:
        if chunk.startswith(b"--"):
            break
        head, separator, data = chunk.partition(b"\r\n\r\n")
        if not separator:
            raise ApiError(400, "a multipart part without headers")
        headers = _part_headers(head)
        names = dict(
            (key.lower(), value)
            for key, value in _PARAM.findall(headers.get("content-disposition", ""))
        )
        if names.get("name") == "file":
            declared_type = headers.get("content-type", "application/octet-stream")
            # Browsers escape quotes and line breaks in a name as %22, %0D and %0A, and
            # aiohttp escapes the rest too: the name is kept unescaped.
            return data, declared_type, unquote(names.get("filename", ""))
    raise ApiError(400, "multipart/form-data without a part named 'file'")


def _part_headers(head: bytes) -> dict[str, str]:
    headers = {}
    for line in head.decode("utf-8", "replace").split("\r\n"):
        name, colon, value = line.partition(":")
        if colon:
            headers[name.strip().lower()] = value.strip()
    return headers


async def visible(request: web.Request, record: MediaRecord) -> bool:
    """Whether the caller may have a file: its own upload, or one of a number it is on."""
    if record.owner == caller(request).name:
        return True
    return bool(record.number) and record.number in await numbers_of(request)


async def download(request: web.Request) -> web.Response:
    """The bytes of a file the caller may have; any other id is unknown (404)."""
    media_id = request.match_info["id"]
    found = await parts(request).media.load(media_id)
    if found is None or not await visible(request, found[0]):
        raise ApiError(404, f"no media {media_id[:80]}")
    record, data = found
    return file_response(record, data)
