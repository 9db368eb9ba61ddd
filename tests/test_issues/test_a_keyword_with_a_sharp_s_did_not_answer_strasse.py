"""A rule's keyword ``straße`` did not answer a customer who wrote ``STRASSE`` (its upper
case) or ``strasse``, nor ``STRASSE`` one who wrote ``Straße``, though keywords match in
any case, and a flow's choice ``Straße`` took a typed ``STRASSE``: the keywords were
compared one character to one, the choices folded in full. Keywords, flow start words,
choices and the escape words are now compared in one form (``caseless``): folded in full
and in one Unicode form, so a decomposed ``café`` is ``café`` too."""

from __future__ import annotations

import pytest

from bot.config.automation import automation_settings
from tests.conftest import BotFactory
from tests.test_flows_runtime import say, sent

DECOMPOSED_CAFE = "cafe\u0301"  # e and a combining acute accent, as some keyboards send it
SEATING = {
    "start": ["Maß"],
    "steps": [
        {"id": "where", "ask": "Where?", "input": "choice", "choices": ["Straße", "Café"]},
    ],
    "end": "Noted: {where}.",
}
AUTOMATION = automation_settings(
    {
        "welcome": "",
        "rules": [
            {"keywords": ["straße"], "reply": "Street parking is free."},
            {"keywords": ["FUSSWEG"], "reply": "Take the footpath."},
            {"keywords": ["café"], "reply": "The café opens at 8."},
        ],
        "flows": {"seating": SEATING},
        "fallback": "Thanks, we'll get back to you.",
    }
)


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("Is there parking on the STRASSE?", "Street parking is free."),
        ("strasse", "Street parking is free."),
        ("Where does the Fußweg start?", "Take the footpath."),
        (f"Is the {DECOMPOSED_CAFE} open?", "The café opens at 8."),
    ],
)
async def test_a_keyword_matches_under_full_case_folding(
    make_bot: BotFactory, text: str, answer: str
) -> None:
    bot = await make_bot(automation=AUTOMATION)
    await say(bot, text)
    assert [m.text for m in await sent(bot, 1)] == [answer]


async def test_a_start_word_and_a_choice_compare_as_the_keywords_do(
    make_bot: BotFactory,
) -> None:
    bot = await make_bot(automation=AUTOMATION)
    await say(bot, "MASS")
    assert [m.text for m in await sent(bot, 1)] == ["Where?"]
    await say(bot, DECOMPOSED_CAFE.upper())
    assert [m.text for m in await sent(bot, 2)][-1] == "Noted: Café."
