"""An agent's name in a claim (or a note's author) could be a zero-width space, which the
other services' warnings then named as nobody ("  of crm has held it since…"), or carry
a right-to-left override (U+202E) that turned the rest of each warning around: a name
another service reads is refused when it shows nothing or holds a direction control."""

from __future__ import annotations

import pytest

from tests.conftest import BotFactory
from tests.test_api import shared_number


@pytest.mark.parametrize(
    "agent", ["\u200b", "\u202eann", "ann\u2066x", "\u2067", "\ufeff\u200d", "bo\u202ab"]
)
async def test_a_name_that_shows_nothing_or_turns_text_around_is_refused(
    make_bot: BotFactory, agent: str
) -> None:
    shared = await shared_number(make_bot)
    claim = await shared.call("sales", "POST", shared.path("claim"), {"agent": agent})
    assert claim.status == 400, claim.raw
    note = {"text": "called back", "author": agent}
    answer = await shared.call("sales", "POST", shared.path("notes"), note)
    assert answer.status == 400, answer.raw
    # Names of any script, with their own marks, are names.
    for name in ("\u05d3\u05e0\u05d9", "Zo\u00eb", "\u674e\u96f7"):
        claim = await shared.call("sales", "POST", shared.path("claim"), {"agent": name})
        assert claim.status == 200, claim.raw
