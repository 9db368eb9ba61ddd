"""A keyword written with Turkish dotless i (U+0131: ``kapal\u0131``) stopped answering
the same word typed in capitals (``KAPALI``), whose "I" folds to "i": since keywords were
compared fully folded, the customer got the fallback, where the case-blind match before
had answered. The dotless i and "i" are one letter to a keyword, as its capital says."""

from __future__ import annotations

import pytest

from bot.config.automation import automation_settings
from tests.conftest import BotFactory
from tests.test_flows_runtime import say, sent

AUTOMATION = automation_settings(
    {
        "welcome": "",
        "rules": [{"keywords": ["kapal\u0131"], "reply": "Mağazam\u0131z pazar günü kapal\u0131."}],
        "fallback": "Teşekkürler, size döneceğiz.",
    }
)


@pytest.mark.parametrize(
    "typed", ["kapal\u0131 m\u0131?", "KAPALI MI?", "Kapal\u0131 m\u0131?", "kapali mi?"]
)
async def test_a_dotless_i_keyword_matches_in_any_case(make_bot: BotFactory, typed: str) -> None:
    bot = await make_bot(automation=AUTOMATION)
    await say(bot, typed)
    assert [m.text for m in await sent(bot, 1)] == ["Mağazam\u0131z pazar günü kapal\u0131."]
