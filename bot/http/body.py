"""Reading a request's body whole, up to a limit, however many pieces it arrives in."""

from __future__ import annotations

from aiohttp import web


async def read_at_most(request: web.Request, limit: int) -> bytes:
    """The body, or its first ``limit`` bytes and one more, which tells that it is longer.
    ``content.read(n)`` answers with what has arrived, up to n: a body sent in pieces (a
    photo over the network) is gathered until it ends or runs past the limit."""
    pieces, size = [], 0
    while size <= limit:
        piece = await request.content.read(limit + 1 - size)
        if not piece:
            break
        pieces.append(piece)
        size += len(piece)
    return b"".join(pieces)
