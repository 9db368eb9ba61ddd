"""Since keywords were compared fully folded, a keyword followed by a sign with a
compatibility form of letters or digits no longer matched: ``Hours\u2122`` got the
fallback where a rule of ``hours`` had answered it, as did ``HOURS\u2120``,
``hours\u2116``, ``hours\u00b2`` and ``price\u00bd``, because the sign became ``TM``,
``SM``, ``No``, ``2`` or ``1\u20442`` and joined the word. The same folding made a
keyword ``no`` answer a customer who wrote ``\u2116 5``, and a keyword with ``\u2116``
answer a plain ``no``. A character takes its compatibility form only when that is of
its kind now (word characters or none), so full-width letters still match."""

from __future__ import annotations

import pytest

from bot.config.automation import automation_settings
from tests.conftest import BotFactory
from tests.test_flows_runtime import say, sent

HOURS = "We open at 9."
PRICE = "Our prices are on the menu."
WHICH_ORDER = "Which order is it?"
NOT_NOW = "OK, not now."
FALLBACK = "Thanks, we'll get back to you."
AUTOMATION = automation_settings(
    {
        "welcome": "",
        "rules": [
            {"keywords": ["hours"], "reply": HOURS},
            {"keywords": ["price"], "reply": PRICE},
            {"keywords": ["order \u2116"], "reply": WHICH_ORDER},
            {"keywords": ["no"], "reply": NOT_NOW},
        ],
        "fallback": FALLBACK,
    }
)


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("Hours\u2122?", HOURS),
        ("HOURS\u2120", HOURS),
        ("hours\u2116", HOURS),
        ("hours\u00b2", HOURS),
        ("price\u00bd", PRICE),
        ("\uff28\uff2f\uff35\uff32\uff33?", HOURS),  # full-width letters
        ("\u2116 5", FALLBACK),
        ("Order \u2116 5", WHICH_ORDER),
        ("order no", NOT_NOW),
    ],
)
async def test_a_sign_next_to_a_word_is_no_letter_of_it(
    make_bot: BotFactory, text: str, answer: str
) -> None:
    bot = await make_bot(automation=AUTOMATION)
    await say(bot, text)
    assert [m.text for m in await sent(bot, 1)] == [answer]
