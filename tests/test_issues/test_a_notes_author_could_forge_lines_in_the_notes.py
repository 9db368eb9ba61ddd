"""A note's ``author`` took newlines, so a service could forge lines in the team's
listing of the notes (``admin note``), where the claims' and replies' ``agent`` is one
line; and a note took fields it does not have, which claims refuse."""

from __future__ import annotations

import pytest

from tests.conftest import BotFactory
from tests.test_api import shared_number


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"text": "x", "author": "ann\nINJECTED: fake line"}, "'author' is one line"),
        ({"text": "x", "author": "ann\rmore"}, "'author' is one line"),
        ({"text": "x", "author": "ann\tmore"}, "'author' is one line"),
        ({"text": "x", "bogus": 1}, "a note takes its text and its author"),
    ],
)
async def test_a_note_with_a_broken_author_or_a_stray_field_is_refused(
    make_bot: BotFactory, body: dict[str, object], says: str
) -> None:
    shared = await shared_number(make_bot)
    path = shared.path("notes")
    answer = await shared.call("sales", "POST", path, body)
    assert answer.status == 400 and says in answer.error, answer.raw
    assert (await shared.call("sales", "GET", path)).json["notes"] == []
    good = await shared.call("sales", "POST", path, {"text": "line one\nline two", "author": "ann"})
    assert good.status == 201
