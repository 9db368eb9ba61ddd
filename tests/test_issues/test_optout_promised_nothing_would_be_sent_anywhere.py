"""``/optout <conversation>`` answered "the customer is opted out: nothing will be sent to
them", and its help said "stop all messages to the customer"; a campaign on another of
the customer's channels still reached them, as opt-outs are per conversation (a STOP on
SMS is the carrier's, for that number). The answer and the help say what it does."""

from __future__ import annotations

from tests.conftest import BotFactory
from tests.test_team_commands import AGENT, team


async def test_optout_says_it_is_this_conversations(make_bot: BotFactory) -> None:
    t = await team(make_bot)
    answer = await t.run(AGENT, f"/optout {t.cid}")
    assert answer.endswith("nothing will be sent to them in this conversation.")
    help_text = await t.run(AGENT, "/help optout")
    assert "on other channels keep their own switch" in help_text
