"""JSON as the webhooks, the web chat and the API take it: a number is finite and text is
Unicode, or the body is refused. Python's parser takes ``NaN``, ``Infinity`` and ``1e400``
(as inf), which JSON itself does not allow and which break the arithmetic downstream; and a
lone surrogate (``"\\ud800"``, half of a UTF-16 pair), which JSON's grammar allows but no
UTF-8 text can hold (I-JSON, RFC 7493, refuses it), so nothing could store or send it."""

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


DOUBLE_DIGITS = 309
"""Digits of the largest integer a double holds (about 1.8e308): past it, a number no
JSON reader of a service can hold, as ``1e400`` is."""


def _integer(text: str) -> int:
    if len(text.lstrip("-")) > DOUBLE_DIGITS or not math.isfinite(float(text)):
        raise NotJSONError(f"body is not JSON we take: {text[:40]}… is a number that overflows")
    return int(text)


def loads(raw: bytes | str) -> Any:
    """The document in ``raw``; NotJSONError for anything that is not strict JSON with
    finite numbers and Unicode text (including nesting too deep for the parser)."""
    # orjson first, where what it reads is what the standard library reads: it refuses NaN,
    # Infinity and numbers out of a double's range itself. What it refuses (those, a lone
    # surrogate, a byte order mark, 1,024 levels of nesting, bad JSON) goes on to the
    # standard library, which takes or refuses it as it always did, with its reasons.
    if orjson_reads_alike(raw):
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass
    if isinstance(raw, bytes):
        # JSON between systems is UTF-8 (RFC 8259, 8.1): the standard library would take
        # UTF-16 and UTF-32 too. A byte order mark before it may be left out, as it allows.
        try:
            raw = raw.decode("utf-8-sig", "surrogatepass")  # said below as a surrogate
        except UnicodeDecodeError:
            raise NotJSONError("body is not JSON") from None
    try:
        document = json.loads(
            raw, parse_constant=_refuse_constant, parse_float=_finite, parse_int=_integer
        )
    except NotJSONError:
        raise
    except (ValueError, RecursionError):
        raise NotJSONError("body is not JSON") from None
    if holds_lone_surrogate(document):
        raise NotJSONError(
            "body is not JSON we take: a string holds a lone surrogate (half of a UTF-16 "
            "pair), which is not Unicode"
        )
    return document


def holds_lone_surrogate(document: Any) -> bool:
    """Whether a key or a string anywhere in ``document`` cannot be written as UTF-8.
    A loop, not recursion: the parser reads nesting deeper than a recursive walk could."""
    pending = [document]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if not item.isascii():
                try:
                    item.encode()
                except UnicodeEncodeError:
                    return True
        elif isinstance(item, dict):
            pending.extend(item)
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False
