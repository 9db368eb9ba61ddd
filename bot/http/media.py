"""``/media/{token}``: a kept file by its signed, short-lived URL, for a provider fetching
what it was asked to send, or a browser showing it in the web chat; no token needed."""

from __future__ import annotations

import functools
from urllib.parse import quote

from aiohttp import web

from bot.core.media import MediaLibrary
from bot.http.errors import error_response
from stores.media import MediaRecord


def add_signed_media_route(app: web.Application, library: MediaLibrary) -> None:
    app.router.add_get("/media/{token}", functools.partial(signed_media, library))


async def signed_media(library: MediaLibrary, request: web.Request) -> web.StreamResponse:
    """The file a good token names; 404 alike for a forged, expired or unknown one."""
    media_id = await library.links.verify(request.match_info["token"])
    found = await library.load(media_id) if media_id else None
    if found is None:
        return error_response(404, "no such file, or its link has expired")
    return file_response(*found)


def file_response(record: MediaRecord, data: bytes) -> web.Response:
    """A kept file as an attachment, never rendered as a page of ours."""
    disposition = "attachment"
    if record.filename:
        disposition += f"; filename*=UTF-8''{quote(record.filename, safe='')}"
    headers = {
        "Content-Type": record.content_type,
        "Content-Disposition": disposition,
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "sandbox",
        "Cache-Control": "private, max-age=300",
    }
    return web.Response(body=data, headers=headers)
