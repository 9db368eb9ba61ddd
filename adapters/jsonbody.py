"""JSON as the webhooks, the web chat and the API take it: a number is finite or the body
is refused. Python's parser takes ``NaN``, ``Infinity`` and ``1e400`` (as inf), which
JSON itself does not allow and which break the arithmetic downstream."""

from __future__ import annotations

import json
import math
from typing import Any

import orjson

from bot.model import orjson_reads_alike


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
    # orjson first, where what it reads is what the standard library reads: it refuses NaN,
    # Infinity and numbers out of a double's range itself. What it refuses (those, a lone
    # surrogate, a byte order mark, 1,024 levels of nesting, bad JSON) goes on to the
    # standard library, which takes or refuses it as it always did, with its reasons.
    if orjson_reads_alike(raw):
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass
    try:
        return json.loads(raw, parse_constant=_refuse_constant, parse_float=_finite)
    except NotJSONError:
        raise
    except (ValueError, RecursionError):
        raise NotJSONError("body is not JSON") from None
