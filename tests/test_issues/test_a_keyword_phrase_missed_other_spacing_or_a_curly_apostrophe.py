"""A keyword rule of several words ("opening times") matched them only with one space
between them: "opening  times", or the words on two lines, got no answer; and "what's up"
was missed as phones type it, with a curly apostrophe (U+2019, iOS's and macOS's).
Keywords match with any white space between their words, and any of the apostrophes."""

from __future__ import annotations

import pytest

from bot.config.automation import automation_settings
from tests.conftest import BotFactory
from tests.test_flows_runtime import say

AUTOMATION = automation_settings(
    {
        "rules": [
            {"keywords": ["opening times"], "reply": "We open at 9."},
            {"keywords": ["what's up"], "reply": "All fine here."},
            {"keywords": ["don\u2019t call"], "reply": "Noted."},
        ],
    }
)


@pytest.mark.parametrize(
    ("said", "answer"),
    [
        ("OPENING   TIMES?", "We open at 9."),
        ("opening\ntimes please", "We open at 9."),
        ("what\u2019s up", "All fine here."),
        ("WHAT\u02bcS UP", "All fine here."),
        ("please don't call", "Noted."),
    ],
)
async def test_a_keyword_phrase_matches_as_people_type_it(
    make_bot: BotFactory, said: str, answer: str
) -> None:
    bot = await make_bot(automation=AUTOMATION)
    await say(bot, said)
    assert bot.graph is not None
    assert [m.text for m in bot.graph.sent][-1] == answer  # after the welcome
