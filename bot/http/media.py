"""``/media/{token}``: a kept file by its signed, short-lived URL, for a provider fetching
what it was asked to send, or a browser showing it in the web chat; no token needed."""

from __future__ import annotations

import functools
from urllib.parse import quote

from aiohttp import web

from bot.core.media import MediaLibrary
from bot.http.errors import error_response


def add_signed_media_route(app: web.Application, library: MediaLibrary) -> None:
    app.router.add_get("/media/{token}", functools.partial(signed_media, library))


async def signed_media(library: MediaLibrary, request: web.Request) -> web.StreamResponse:
    """The file a good token names; 404 alike for a forged, expired or unknown one."""
    media_id = await library.links.verify(request.match_info["token"])
    found = await library.load(media_id) if media_id else None
    if found is None:
        return error_response(404, "no such file, or its link has expired")
    record, data = found
    return file_response(record.content_type, record.filename, data)


def file_headers(content_type: str, filename: str) -> dict[str, str]:
    """A file's headers: an attachment, never rendered as a page of ours."""
    disposition = "attachment"
    if filename:
        disposition += f"; filename*=UTF-8''{quote(filename, safe='')}"
    return {
        "Content-Type": content_type,
        "Content-Disposition": disposition,
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "sandbox",
        "Cache-Control": "private, max-age=300",
    }


def file_response(content_type: str, filename: str, data: bytes) -> web.Response:
    return web.Response(body=data, headers=file_headers(content_type, filename))
