"""A service posted a note typed on Windows, ``{"text": "a\\r\\nb"}``, to ``POST
/v1/conversations/{id}/notes`` and got 400 "notes may not contain control characters
(newlines and tabs may)", although api.md's errors table allows a newline, a carriage
return and a tab in every field, and a reply with the same text is accepted.

What must hold: a note (and its author) may hold a carriage return, kept as written;
a bell is still a 400, and nothing is stored for it."""

from __future__ import annotations

from tests.conftest import BotFactory
from tests.test_api import shared_number


async def test_a_note_may_hold_a_carriage_return(make_bot: BotFactory) -> None:
    shared = await shared_number(make_bot)
    answer = await shared.call(
        "sales", "POST", shared.path("notes"), {"text": "a\r\nb\tc", "author": "sy\r"}
    )
    assert answer.status == 201, answer.raw
    note = answer.json["note"]
    assert (note["text"], note["author"]) == ("a\r\nb\tc", "sy")

    bell = await shared.call("sales", "POST", shared.path("notes"), {"text": "a\u0007b"})
    assert bell.status == 400, bell.raw
    assert "control characters" in bell.error
    listed = await shared.call("sales", "GET", shared.path("notes"))
    assert listed.json["notes"] == [note]
