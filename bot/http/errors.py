"""The one shape of a refusal on every route: a JSON body with a clear ``error``."""

from __future__ import annotations

from typing import Any

from aiohttp import web


def error_response(
    status: int, message: str, headers: dict[str, str] | None = None, **extra: Any
) -> web.Response:
    """``{"error": message, ...extra}`` with ``status``."""
    return web.json_response({"error": message, **extra}, status=status, headers=headers)
