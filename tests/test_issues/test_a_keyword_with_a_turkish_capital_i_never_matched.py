"""A keyword or a flow's start word written with a capital dotted I (``İstanbul``,
``İade``) answered nobody, not even a customer who typed it as written: lower-casing it
gave "i" and a combining dot above, which no message held. The dot is folded away from
the words and the messages alike now (``caseless``), so ``İstanbul``, ``istanbul`` and
``ISTANBUL`` all match, and a choice ``İzmir`` takes a typed ``İZMİR``."""

from __future__ import annotations

import pytest

from bot.config.automation import automation_settings
from tests.conftest import BotFactory
from tests.test_flows_runtime import say, sent

RETURNS = {
    "start": ["İade"],
    "steps": [{"id": "city", "ask": "Which store?", "input": "choice", "choices": ["İzmir"]}],
    "end": "We'll expect you in {city}.",
}
AUTOMATION = automation_settings(
    {
        "welcome": "",
        "rules": [{"keywords": ["İstanbul"], "reply": "Our Istanbul store opens at 10."}],
        "flows": {"returns": RETURNS},
        "fallback": "Thanks, we'll get back to you.",
    }
)


@pytest.mark.parametrize("city", ["İstanbul", "istanbul", "ISTANBUL"])
async def test_a_keyword_with_a_dotted_capital_i_matches(make_bot: BotFactory, city: str) -> None:
    bot = await make_bot(automation=AUTOMATION)
    await say(bot, f"Is the {city} store open?")
    assert [m.text for m in await sent(bot, 1)] == ["Our Istanbul store opens at 10."]


@pytest.mark.parametrize("word", ["İade", "iade", "IADE"])
async def test_a_start_word_with_a_dotted_capital_i_starts_its_flow(
    make_bot: BotFactory, word: str
) -> None:
    bot = await make_bot(automation=AUTOMATION)
    await say(bot, word)
    assert [m.text for m in await sent(bot, 1)] == ["Which store?"]
    await say(bot, "İZMİR")
    assert [m.text for m in await sent(bot, 2)][-1] == "We'll expect you in İzmir."
