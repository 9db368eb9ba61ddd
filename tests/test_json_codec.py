"""orjson on the hot path reads and writes what the json module did; the strict body parser
stays as strict."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from adapters import jsonbody
from bot.model import Event, compact_json, parse_json

# What the json module takes and orjson reads otherwise or refuses: each must come out as
# the json module has it.
AS_THE_JSON_MODULE_READS = [
    b'{"a": 1, "a": 2}',  # the last of a duplicated key
    b"18446744073709551616",  # beyond 64 bits: an int, not a float
    b"[-9223372036854775809, 123456789012345678901234567890]",
    b'\xef\xbb\xbf{"x": 1}',  # a UTF-8 byte order mark
    b'{"x": 1.5, "y": -0.0, "z": 1e-400, "t": "\xc2\xb2\xc2\xb3"}',
    b"[" * 600 + b"]" * 600,  # the json module reads it, and orjson is not asked
]


@pytest.mark.parametrize("raw", AS_THE_JSON_MODULE_READS, ids=lambda raw: repr(raw)[:30])
def test_the_body_parser_and_parse_json_read_as_the_json_module(raw: bytes | str) -> None:
    expected = json.loads(raw)
    for read in (jsonbody.loads(raw), parse_json(raw)):
        assert read == expected
        assert repr(read) == repr(expected)  # the same types: ints stay ints


def test_parse_json_reads_a_lone_surrogate_as_the_json_module_does() -> None:
    """Inside the runtime a lone surrogate still reads as it always did; the bodies that
    come in refuse it (below)."""
    for raw in (b'"\\ud800"', '{"a": "\ud800"}'):
        assert parse_json(raw) == json.loads(raw)


LONE = "a string holds a lone surrogate"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b'{"a": NaN}', "NaN is not a number JSON allows"),
        (b'"\\ud800"', LONE),  # escaped
        (b'{"text": "\\ud83d"}', LONE),  # half of an emoji, cut
        (b'{"a": ["ok", {"b": "x\\udfffy"}]}', LONE),  # deep down
        (b'{"\\udc00": 1}', LONE),  # a key
        ('{"a": "\ud800"}', LONE),  # text holding one, as a web chat frame comes
        (b'{"a": "\xed\xa0\x80"}', LONE),  # written as UTF-8 would write it, were it allowed
        (b"[" * 600 + b'"\\ud800"' + b"]" * 600, LONE),  # nested deep
        (b"[Infinity]", "Infinity is not a number JSON allows"),
        (b'{"a": 1e400}', "1e400 is not a finite number"),
        (b'{"a": -1E+999}', "-1E+999 is not a finite number"),
        (b'{"a": 1,}', "body is not JSON"),
        (b"[1] [2]", "body is not JSON"),
        (b"\xff", "body is not JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "body is not JSON"),  # orjson would read it
        (b'{"a":' * 5_000 + b"1" + b"}" * 5_000, "body is not JSON"),
    ],
    ids=lambda raw: repr(raw)[:30],
)
def test_the_body_parser_refuses_as_before(raw: bytes, reason: str) -> None:
    with pytest.raises(jsonbody.NotJSONError, match=re.escape(reason)):
        jsonbody.loads(raw)


def stdlib(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


@pytest.mark.parametrize(
    "value",
    [
        {"text": 'Café ÷ 😀 \u2028 \x7f \n\t"\\ </script>', "n": [1, -2, 0.1, 1764758460.552]},
        {"lone": "\ud800"},  # written by the json module: orjson refuses it
        {"big": 2**64 + 1},
        {1: "a key not a string"},
        {"t": float("inf"), "u": [float("-inf"), float("nan")], "none": None},
        {"nested": {"deeper": [{"t": float("inf")}]}, "null": None},
    ],
)
def test_compact_json_writes_what_the_json_module_writes(value: Any) -> None:
    assert compact_json(value) == stdlib(value)


def test_deep_nesting_is_written_and_read_as_the_json_module_does() -> None:
    value: Any = 1
    for _ in range(400):
        value = [value]
    assert compact_json(value) == stdlib(value)
    assert parse_json(stdlib(value)) == value


def test_an_event_round_trips_through_its_json() -> None:
    event = Event.new("message.inbound", "whatsapp:+447700900000", {"text": "héllo", "n": 2**70})
    assert event.to_json() == stdlib(
        {"id": event.id, "type": event.type, "timestamp": event.timestamp}
        | {"number": event.number, "data": event.data}
    )
    assert Event.from_json(event.to_json()) == event
    assert Event.from_json(event.to_json().encode()) == event
