"""A guided conversation's email step took answers no email address is, as long as they
held one @ and a dot after it: "ann@example.com," (a comma typed on), "<ann@example.com>"
or "mailto:ann@example.com" were saved on the profile as the customer's email, and sales
wrote to an address that bounces. The same API and imports refuse as an email identity.
The step now takes what an email identity takes, and asks again for anything else."""

from __future__ import annotations

import pytest

from bot.config.automation import automation_settings
from bot.model import Identity
from tests.conftest import BotFactory
from tests.test_flows_runtime import WA_ID, fields, say, sent

ASK = {
    "start": ["contact"],
    "steps": [{"id": "email", "ask": "Your email?", "input": "email", "save": "email"}],
    "end": "Thanks, we'll write to {email}.",
}
AUTOMATION = automation_settings({"flows": {"contact": ASK}})
REFUSED = "That doesn't look like an email address (like ann@example.com).\nYour email?"


@pytest.mark.parametrize(
    "answer", ["ann@example.com,", "<ann@example.com>", "mailto:ann@example.com", "(a)@b.co"]
)
async def test_an_answer_that_is_no_email_is_asked_again(make_bot: BotFactory, answer: str) -> None:
    bot = await make_bot(automation=AUTOMATION)
    await say(bot, "contact")
    await say(bot, answer)
    assert (await sent(bot, 2))[-1].text == REFUSED
    await say(bot, "Ann.Lee@Example.COM")
    assert (await sent(bot, 3))[-1].text == "Thanks, we'll write to Ann.Lee@example.com."
    assert (await fields(bot, Identity("wa", WA_ID)))["email"] == "Ann.Lee@example.com"
