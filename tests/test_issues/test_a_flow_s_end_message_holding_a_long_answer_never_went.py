"""A guided conversation's texts are checked against the 4,096 characters a message may
hold as written, but the answers put in them are not: a flow that ended "Thanks, we noted:
{details}" after a long description made an end message WhatsApp refused ("Invalid
parameter"), and the customer never heard that the flow was over. A flow's text that
the answers take past one message is cut to fit, and goes."""

from __future__ import annotations

from bot.config.automation import automation_settings
from tests.conftest import BotFactory
from tests.test_flows_runtime import say, sent

ISSUE = {
    "start": ["issue"],
    "steps": [
        {
            "id": "details",
            "ask": "What happened?",
            "input": "text",
            "max_length": 4096,
            "save": "details",
        }
    ],
    "end": "Thanks, we noted: {details}",
}


async def test_the_end_message_goes_cut_to_one_message(make_bot: BotFactory) -> None:
    bot = await make_bot(automation=automation_settings({"flows": {"issue": ISSUE}}))
    await say(bot, "issue")
    await say(bot, "It broke. " * 409)
    end = (await sent(bot, 2))[-1].text or ""
    assert end.startswith("Thanks, we noted: It broke. It broke.")
    assert len(end) == 4096 and end.endswith("…")
