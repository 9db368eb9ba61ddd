"""``POST /v1/profiles/{ref}/topics`` with the same topic to ``subscribe`` and to
``unsubscribe`` answered 200 and quietly joined it: a request that contradicts itself. It
is a 400 now, and changes nothing; unknown fields are refused too."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import BotFactory
from tests.test_notifications import WA, setup


@pytest.mark.parametrize(
    ("body", "said"),
    [
        ({"subscribe": ["offers"], "unsubscribe": ["offers", "news"]}, "not both: offers"),
        ({"unsubscribe": ["news"], "topic": "offers"}, "unknown field(s) topic"),
    ],
)
async def test_a_contradicting_topics_request_is_refused(
    make_bot: BotFactory, body: dict[str, Any], said: str
) -> None:
    shared = await setup(make_bot)
    path = f"/v1/profiles/wa:{WA}/topics"
    assert (await shared.call("support", "POST", path, {"unsubscribe": ["offers"]})).status == 200
    answer = await shared.call("support", "POST", path, body)
    assert answer.status == 400 and said in answer.error
    profile = await shared.bot.runtime.profile_book.view(f"wa:{WA}")
    assert profile["fields"]["topics_off"] == "offers"
