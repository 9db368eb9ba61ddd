"""Reading a request's body whole, up to a limit, however many pieces it arrives in, and
in time: a body that stalls holds its connection and a file descriptor."""

from __future__ import annotations

import asyncio
import time

from aiohttp import web

PIECE_SECONDS = 10.0
"""The longest a body may go without a byte arriving, as its head may (``HeadDeadlineSite``)."""
BODY_SECONDS = 120.0
"""The longest a small body may take to arrive whole."""
SLOWEST_RATE = 32 * 1024
"""Bytes a second a big body may arrive at, at the slowest (256 kbit/s): a route that takes
a 16 MB file gives it over eight minutes, one of a few KiB two."""


class BodyTooSlowError(Exception):
    """A request's body stalled, or came too slowly: answered 408, and its connection
    closed."""


async def read_at_most(request: web.Request, limit: int) -> bytes:
    """The body, or its first ``limit`` bytes and one more, which tells that it is longer.
    ``content.read(n)`` answers with what has arrived, up to n: a body sent in pieces (a
    photo over the network) is gathered until it ends or runs past the limit. Raises
    BodyTooSlowError for a body that stalls or comes too slowly."""
    content, most = request.content, limit + 1
    first = content.read_nowait(most)  # what has come: no wait, no timer
    if content.at_eof() or len(first) == most:
        return first  # the whole body (a webhook's, nearly always), or past the limit
    pieces, size, deadline = [first], len(first), 0.0
    while size < most:
        piece = content.read_nowait(most - size)
        if not piece:
            if content.at_eof():
                break
            if not deadline:
                deadline = time.monotonic() + max(BODY_SECONDS, most / SLOWEST_RATE)
            wait = min(PIECE_SECONDS, deadline - time.monotonic())
            try:
                async with asyncio.timeout(max(wait, 0.0)):
                    piece = await content.read(most - size)
            except TimeoutError:
                raise BodyTooSlowError("the body did not arrive in time") from None
            if not piece:
                break
        pieces.append(piece)
        size += len(piece)
    return b"".join(pieces)
