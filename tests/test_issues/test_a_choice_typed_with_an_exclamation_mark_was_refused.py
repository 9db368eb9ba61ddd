"""A customer who typed a flow's choice as people write it, "Evening!" or "evening.",
was told it was no choice and asked again: a typed choice had to be the option's words
exactly (any case). The end stops a sentence takes (. ! ?) are left out of the
comparison now, as they are for the escape words."""

from __future__ import annotations

import pytest

from bot.model import Identity
from tests.conftest import BotFactory
from tests.test_flows_runtime import FLOWS, WA_ID, WHEN_Q, fields, say, sent


@pytest.mark.parametrize("typed", ["Evening!", "evening.", "Evening ?!"])
async def test_a_choice_typed_with_an_end_stop_is_taken(make_bot: BotFactory, typed: str) -> None:
    bot = await make_bot(automation=FLOWS)
    await say(bot, "Hi, can you call me back?")
    await say(bot, "Ann Lee")
    await say(bot, "07700 900123")
    assert (await sent(bot, 3))[-1].text == WHEN_Q
    await say(bot, typed)
    done = (await sent(bot, 4))[-1]
    assert done.text == "Thanks Ann Lee, we'll call you on +447700900123 in the Evening."
    assert (await fields(bot, Identity("wa", WA_ID)))["callback_slot"] == "Evening"
