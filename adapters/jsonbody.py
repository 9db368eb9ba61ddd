"""JSON as the webhooks, the web chat and the API take it: a number is finite or the body
is refused. Python's parser takes ``NaN``, ``Infinity`` and ``1e400`` (as inf), which
JSON itself does not allow and which break the arithmetic downstream."""

from __future__ import annotations

import json
import math
from typing import Any


class NotJSONError(ValueError):
    """The body is not JSON, or not JSON that we take: the message says why."""


def _refuse_constant(name: str) -> Any:
    raise NotJSONError(f"body is not JSON: {name} is not a number JSON allows")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise NotJSONError(f"body is not JSON we take: {text[:40]} is not a finite number")
    return value


def loads(raw: bytes | str) -> Any:
    """The document in ``raw``; NotJSONError for anything that is not strict JSON with
    finite numbers (including nesting too deep for the parser)."""
    try:
        return json.loads(raw, parse_constant=_refuse_constant, parse_float=_finite)
    except NotJSONError:
        raise
    except (ValueError, RecursionError):
        raise NotJSONError("body is not JSON") from None
