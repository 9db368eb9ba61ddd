"""``/media/{token}``: a kept file by its signed, short-lived URL, for a provider fetching
what it was asked to send, or a browser showing it in the web chat; no token needed."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import AsyncIterator
from urllib.parse import quote

from aiohttp import web

from bot.core.media import MediaLibrary
from bot.http.errors import error_response
from stores.media import MediaRecord
from stores.redis import StoreError

log = logging.getLogger(__name__)
PIECE_SECONDS = 20.0
"""How long a kept file's next piece may take to come from the store: past it (Redis
paused, its host stalled) the download is cut short."""


def add_signed_media_route(app: web.Application, library: MediaLibrary) -> None:
    app.router.add_get("/media/{token}", functools.partial(signed_media, library))


async def signed_media(library: MediaLibrary, request: web.Request) -> web.StreamResponse:
    """The file a good token names; 404 alike for a forged, expired or unknown one."""
    media_id = await library.links.verify(request.match_info["token"])
    found = await library.opened(media_id) if media_id else None
    if found is None:
        return error_response(404, "no such file, or its link has expired")
    return await kept_file(request, *found)


async def kept_file(
    request: web.Request, record: MediaRecord, pieces: AsyncIterator[bytes]
) -> web.StreamResponse:
    """A kept file passed on piece by piece as the store gives it, each once the reader
    took the one before: a slow reader holds a piece, not the file. A store that fails
    once the answer has begun cuts it short (shorter than its Content-Length)."""
    response = web.StreamResponse(headers=file_headers(record.content_type, record.filename))
    response.content_length = record.size
    await response.prepare(request)
    if request.method == "HEAD":
        await response.write_eof()
        return response
    sent = 0
    try:
        while sent < record.size:
            async with asyncio.timeout(PIECE_SECONDS):
                piece = await anext(pieces, b"")
            if not piece:
                break
            await response.write(piece)
            sent += len(piece)
    except (StoreError, TimeoutError) as error:
        log.warning("a kept file was cut short: %s", type(error).__name__)
    if sent != record.size:
        return cut_short(request, response)
    await response.write_eof()
    return response


def cut_short(request: web.Request, response: web.StreamResponse) -> web.StreamResponse:
    """An answer begun that cannot be finished: its connection closed, so the caller sees
    a file shorter than its Content-Length, never another answer after it."""
    response.force_close()
    if request.transport is not None:
        request.transport.close()
    return response


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
