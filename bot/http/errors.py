"""The one shape of a refusal on every route: a JSON body with a clear ``error``."""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web
from aiohttp.web_protocol import RequestPayloadError


def error_response(
    status: int, message: str, headers: dict[str, str] | None = None, **extra: Any
) -> web.Response:
    """``{"error": message, ...extra}`` with ``status``."""
    return web.json_response({"error": message, **extra}, status=status, headers=headers)


def quiet_unreadable_bodies() -> None:
    """Log a body that could not be read as one line of info, on aiohttp's server logger
    (once however often it is asked)."""
    server = logging.getLogger("aiohttp.server")
    if not any(isinstance(f, _UnreadableBodies) for f in server.filters):
        server.addFilter(_UnreadableBodies())


class _UnreadableBodies(logging.Filter):
    """aiohttp reads what a handler left of a body after the answer, and logs a body its
    Content-Encoding does not decode as an "Unhandled exception" with its trace: any
    caller could fill the log with them. Such a line is one line of info instead; the
    caller got its answer (a 400 where the handler read the body)."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, RequestPayloadError):
            record.levelno, record.levelname = logging.INFO, "INFO"
            record.msg, record.args = (
                "a request's body could not be read: %s",
                (getattr(error.__cause__, "message", "") or "it is broken",),
            )
            record.exc_info = record.exc_text = None
        return True
